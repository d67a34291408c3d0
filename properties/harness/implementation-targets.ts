// The implementations a replay with --impl runs cases on: one per subsystem and specification version, opened on
// first use (it must start and accept a reset, as for conform), all closed at the end.

import { type ConformanceTarget, conformanceTarget } from './conformance-target.js';
import { type Implementation, ImplementationFailure, type OpenOptions } from './implementation.js';
import { implementationName, openImplementation } from './open-implementation.js';
import type { AnySuite } from './suite.js';

/** The implementation does not start or does not accept a reset. */
export class DoesNotStart extends Error {
  constructor(readonly failure: unknown) {
    super(doesNotStartMessage(failure));
  }
}

/** What conform and replay both say (and exit 2 with) when the implementation does not start, with its diagnostic. */
export function doesNotStartMessage(failure: unknown): string {
  const detail = failure instanceof ImplementationFailure && failure.detail ? `\n${failure.detail.trimEnd()}` : '';
  return `the implementation does not start: ${failure instanceof Error ? failure.message : String(failure)}${detail}`;
}

/** Opens `command` for `subsystem` and checks that it starts and accepts a reset; throws DoesNotStart if not. */
export async function startImplementation(command: string, subsystem: string, options: OpenOptions = {}): Promise<Implementation> {
  let impl: Implementation | undefined;
  try {
    impl = await openImplementation(command, subsystem, options);
    impl.handshake?.(subsystem);
    return impl;
  } catch (error) {
    impl?.close();
    throw new DoesNotStart(error);
  }
}

export class ImplementationTargets {
  private readonly opened = new Map<string, ConformanceTarget>();

  constructor(
    private readonly command: string,
    private readonly options: OpenOptions = {},
  ) {}

  async get(suite: AnySuite, version: string): Promise<ConformanceTarget> {
    const key = `${suite.spec.name}@${version}`;
    const known = this.opened.get(key);
    if (known !== undefined) return known;
    const impl = await startImplementation(this.command, suite.spec.name, this.options);
    const target = conformanceTarget(suite, impl, implementationName(this.command), version);
    this.opened.set(key, target);
    return target;
  }

  /** What the implementation of `subsystem` at `version` printed when it last failed, if it was opened. */
  lastFailureDetail(subsystem: string, version: string): string | undefined {
    return this.opened.get(`${subsystem}@${version}`)?.implementation.lastFailureDetail;
  }

  close(): void {
    for (const target of this.opened.values()) target.implementation.close();
  }
}
