import type { RefusalReason, SpecReason } from "./api/v1alpha1";

/*
 * What stops a reconcile pass from making a fleet as written. Its kind says what follows:
 * a `spec` problem (validate.ts) is the user's to fix, so the fleet does not progress and is
 * not retried until its spec changes; a `refusal` (reconcile.ts, the API server refused a
 * child) may clear on its own (a policy relaxed, KEDA installed) and is looked at again later.
 * Either makes the fleet Degraded with the problem's reason. Each kind takes only its own
 * reasons, so a reason can never say one kind while the problem is the other.
 */

/** The spec cannot be reconciled as written. */
export interface SpecProblem {
  readonly kind: "spec";
  /** Condition reason, e.g. `InvalidModel`. */
  readonly reason: SpecReason;
  /** What is wrong, naming the field, the value and what is allowed. */
  readonly message: string;
}

/** The API server refused one of the fleet's children. */
export interface RefusalProblem {
  readonly kind: "refusal";
  /** Condition reason, e.g. `AdmissionDenied`. */
  readonly reason: RefusalReason;
  /** Which child, and what the API server said. */
  readonly message: string;
}

/** Why a fleet is Degraded before anything was observed. */
export type Problem = SpecProblem | RefusalProblem;
