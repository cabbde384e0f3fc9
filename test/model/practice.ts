/**
 * The practice records the model test writes: a base ledger (tax codes, a payment type, three client
 * contacts) and builders for invoices and payments, all with GST 10 % computed per line, half-up, as
 * the practice system does.
 */
import type { Contact, Invoice, Payment } from '../../src/practice/schemas.js';

export const contactCodes = ['C1', 'C2', 'C3'] as const;

export function baseContact(code: string, name = `Client ${code}`): Contact {
  return { code, uniqueId: `U-${code}`, name, isClient: true, isSupplier: false };
}

export function baseLedger() {
  return {
    taxCodes: [{ code: 'GST', name: 'GST 10%', rateBasisPoints: 1000, forSales: true, forPurchases: true }],
    paymentTypes: [{ code: 'EFT', name: 'Direct deposit' }],
    contacts: contactCodes.map((c) => baseContact(c)),
  };
}

const gst = (cents: number) => Math.round(cents / 10);

export function invoice(input: {
  number: string;
  contactCode: string;
  projectNumber?: string;
  date: string;
  dueDate: string;
  text: string;
  lineCents: number[];
  state?: 'active' | 'cancelled';
}): Invoice {
  const lines = input.lineCents.map((c, i) => ({ description: `Fees ${i + 1}`, amountCents: c, taxCode: 'GST', taxCents: gst(c) }));
  const taxCents = lines.reduce((s, l) => s + l.taxCents, 0);
  const net = lines.reduce((s, l) => s + l.amountCents, 0);
  return {
    number: input.number,
    date: input.date,
    dueDate: input.dueDate,
    contactCode: input.contactCode,
    ...(input.projectNumber ? { projectNumber: input.projectNumber } : {}),
    text: input.text,
    lines,
    taxCents,
    totalCents: net + taxCents,
    ...(input.state ? { state: input.state } : {}),
  };
}

export function payment(input: { number: string; contactCode: string; date: string; invoiceNumber: string; amountCents: number }): Payment {
  return {
    number: input.number,
    date: input.date,
    contactCode: input.contactCode,
    paymentTypeCode: 'EFT',
    amountCents: input.amountCents,
    allocations: [{ invoiceNumber: input.invoiceNumber, amountCents: input.amountCents }],
  };
}

/** yyyy-mm-dd `days` after 2026-10-01 (the model's documents fall in October and November 2026). */
export function dayOf(days: number): string {
  return new Date(Date.parse('2026-10-01T00:00:00Z') + days * 86_400_000).toISOString().slice(0, 10);
}
