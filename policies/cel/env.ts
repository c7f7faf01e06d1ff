import { celEnv, isCelError, parse, plan, type CelInput, type CelResult } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { QUANTITY_FUNCS, QUANTITY_REGISTRY } from "./quantity";

/*
 * The CEL environment the pack evaluates rules in: standard CEL (@bufbuild/cel, a
 * conformance-tested implementation), the strings extension (`join`, `split`, ...) and
 * the Kubernetes quantity library, which are in Kyverno's environment too
 * (pkg/cel/compiler/env.go). Rules use nothing else.
 */

const ENV = celEnv({ funcs: [...strings, ...QUANTITY_FUNCS], registry: QUANTITY_REGISTRY });

type Program = (ctx: Record<string, CelInput>) => CelResult;
const programs = new Map<string, Program | Error>();

function compile(expression: string): Program | Error {
  let p = programs.get(expression);
  if (p === undefined) {
    try {
      p = plan(ENV, parse(expression)) as Program;
    } catch (e) {
      p = new Error(`does not compile: ${(e as Error).message}`);
    }
    programs.set(expression, p);
  }
  return p;
}

/** Result of one expression: a value, or an error message. */
export type CelOutcome = { ok: true; value: unknown } | { ok: false; error: string };

/** Evaluates `expression` with the given bindings (`object`, `variables`); never throws. */
export function evaluateCel(expression: string, bindings: Record<string, unknown>): CelOutcome {
  const p = compile(expression);
  if (p instanceof Error) return { ok: false, error: p.message };
  let r: CelResult;
  try {
    r = p(bindings as Record<string, CelInput>);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  return isCelError(r) ? { ok: false, error: r.message } : { ok: true, value: r };
}

/** Whether the expression parses in the pack's CEL environment (error message otherwise). */
export function checkCel(expression: string): string | undefined {
  const p = compile(expression);
  return p instanceof Error ? p.message : undefined;
}
