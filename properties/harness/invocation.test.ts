// The commands printed for the user to run next name the way they started this project's commands.
import { describe, expect, it } from 'vitest';
import { BIN_VARIABLE, invocation } from './invocation.js';

describe('invocation', () => {
  it('is npm run in a clone of this repository', () => {
    expect(invocation('replay', {})).toBe('npm run replay --');
  });
  it('is npx gpumem-spec under the package executable', () => {
    expect(invocation('replay', { [BIN_VARIABLE]: '1' })).toBe('npx gpumem-spec replay');
  });
});
