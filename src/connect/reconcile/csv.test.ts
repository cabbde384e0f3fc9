import { describe, expect, it } from 'vitest';
import { csvCell } from './csv.js';

describe('csvCell', () => {
  it('neutralises text a spreadsheet would run as a formula, and quotes what must be quoted', () => {
    expect(csvCell('=SUM(A1:A9)')).toBe("'=SUM(A1:A9)");
    expect(csvCell('+61 2 9999')).toBe("'+61 2 9999");
    expect(csvCell('-1+1')).toBe("'-1+1");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('Acme, Pty')).toBe('"Acme, Pty"');
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(null)).toBe('');
  });

  it('leaves the amounts it writes itself as numbers (a negative amount is a number, not a formula)', () => {
    expect(csvCell('-12.50', { number: true })).toBe('-12.50');
  });
});
