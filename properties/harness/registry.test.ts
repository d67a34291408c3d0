// The suite's own rules: names are unique, every mutant targets a real invariant and property, and every
// invariant of every subsystem is targeted by at least one mutant (no invariant without teeth).
import { describe, expect, it } from 'vitest';
import { suites } from './registry.js';

describe('registry', () => {
  for (const suite of suites) {
    const name = suite.spec.name;
    const invariants = suite.spec.invariants.map((i) => i.name);
    it(`${name}: names are unique`, () => {
      expect(new Set(invariants).size).toBe(invariants.length);
      expect(new Set(suite.properties.map((p) => p.name)).size).toBe(suite.properties.length);
      expect(new Set(suite.mutants.map((m) => m.name)).size).toBe(suite.mutants.length);
    });
    it(`${name}: every invariant cites its source document`, () => {
      for (const inv of suite.spec.invariants) expect(suite.spec.sources.some((s) => inv.source.includes(s.slice(0, 3))), inv.name).toBe(true);
    });
    it(`${name}: every mutant targets a known invariant and property`, () => {
      for (const m of suite.mutants) {
        expect(invariants, m.name).toContain(m.breaks);
        expect(suite.properties.map((p) => p.name), m.name).toContain(m.property);
      }
    });
    it(`${name}: every invariant is broken by at least one mutant`, () => {
      const targeted = new Set(suite.mutants.map((m) => m.breaks));
      expect(invariants.filter((i) => !targeted.has(i))).toEqual([]);
    });
  }
});
