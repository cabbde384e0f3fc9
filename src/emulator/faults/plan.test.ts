import { describe, expect, it } from 'vitest';
import { createFaultPlan } from './plan.js';

describe('fault plan', () => {
  it('replays the same faults from the same seed', () => {
    const run = () => {
      const plan = createFaultPlan(42);
      plan.arm({ rates: { '429': 0.2, '500': 0.1, 'commit-then-drop': 0.1 }, latencyMs: 5, jitterMs: 10 });
      return Array.from({ length: 200 }, () => plan.decide('1', 'POST'));
    };
    const a = run();
    expect(run()).toEqual(a);
    const kinds = new Set(a.map((d) => d.fault));
    expect(kinds).toEqual(new Set([undefined, '429', '500', 'commit-then-drop']));
    expect(a.every((d) => d.delayMs >= 5 && d.delayMs < 15)).toBe(true);
  });

  it('serves queued faults first, in order, and only to matching requests', () => {
    const plan = createFaultPlan(1);
    plan.arm({ next: ['hang', 'commit-then-500'], appliesTo: 'writes', realmId: '7' });
    expect(plan.decide('7', 'GET').fault).toBeUndefined();
    expect(plan.decide('8', 'POST').fault).toBeUndefined();
    expect(plan.decide('7', 'POST').fault).toBe('hang');
    expect(plan.decide('7', 'POST').fault).toBe('commit-then-500');
    expect(plan.decide('7', 'POST').fault).toBeUndefined();
  });

  it('refuses rates outside 0..1', () => {
    const plan = createFaultPlan(1);
    expect(() => plan.arm({ rates: { '503': 2 } })).toThrow();
  });
});
