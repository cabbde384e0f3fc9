import type { AppContext } from '../../app.js';

export function homePage(ctx: AppContext) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>QBO Connect</title>
      </head>
      <body>
        <main>
          <h1>QBO Connect</h1>
          <p>Keeps your practice's QuickBooks Online company in step with its practice ledger.</p>
          <p>
            Version {ctx.version}, database {ctx.dialect}.
          </p>
        </main>
      </body>
    </html>
  );
}
