/** `npm run schema`: writes docs/practice-import.schema.json from the zod schemas. */
import fs from 'node:fs';
import path from 'node:path';
import { practiceImportJsonSchema } from './import-file.js';

export const jsonSchemaPath = path.resolve(import.meta.dirname, '../../docs/practice-import.schema.json');

export function jsonSchemaText(): string {
  return `${JSON.stringify(practiceImportJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  fs.mkdirSync(path.dirname(jsonSchemaPath), { recursive: true });
  fs.writeFileSync(jsonSchemaPath, jsonSchemaText());
  console.log(`wrote ${path.relative(process.cwd(), jsonSchemaPath)}`);
}
