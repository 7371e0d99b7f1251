/**
 * Decision records of live placement (issue 4 item 4): plain, JSON-serialisable data that feeds
 * "why pending" and the audit trail. Discriminated on `outcome`, so a placed pod always has a node
 * and a binding and an unschedulable one always has its per-filter rejections and a verdict.
 */
import type { Binding, GpuAssignment } from './fleet-snapshot.js';
import type { FilterName, RejectionReason, RequeueEvent } from './placement-reasons.js';

export interface CandidateScore {
  readonly node: string;
  readonly total: number;
  /** Weighted score per scorer name. */
  readonly scores: Readonly<Record<string, number>>;
}

export interface FilterRejection {
  readonly filter: FilterName;
  readonly reason: RejectionReason;
  readonly message: string;
  /** Nodes this filter rejected (each node is counted under the first filter that rejected it). */
  readonly nodes: number;
}

/**
 * never-fits: no node of the fleet could host the pod even with nothing bound (requeueing is
 * pointless until the fleet or the request changes); not-now: some node could, once capacity frees
 * up or a node comes back.
 */
export type UnschedulableVerdict = 'never-fits' | 'not-now';

export interface Unschedulable {
  readonly outcome: 'unschedulable';
  readonly pod: string;
  readonly verdict: UnschedulableVerdict;
  /** Ordered by the filter order, most rejections first within a filter. */
  readonly rejections: readonly FilterRejection[];
  readonly nodesConsidered: number;
  /** Events that could change the answer: the union over the rejections; only fleet-changed when never-fits. */
  readonly requeueOn: readonly RequeueEvent[];
  readonly message: string;
}

/** What decide() found: where the pod would go (nothing booked yet). */
export type PodPlan =
  | {
      readonly outcome: 'fits';
      readonly pod: string;
      readonly node: string;
      readonly nodeIndex: number;
      readonly assignment: GpuAssignment;
      readonly score: number;
      /** The best few candidates, best first, the chosen node first. */
      readonly candidates: readonly CandidateScore[];
    }
  | Unschedulable;

/** What place() did: the booking (a binding) and why that node, or why not. */
export type PodDecision =
  | {
      readonly outcome: 'placed';
      readonly pod: string;
      readonly node: string;
      readonly binding: Binding;
      readonly score: number;
      readonly candidates: readonly CandidateScore[];
    }
  | Unschedulable;

export type PlacedPod = Extract<PodDecision, { outcome: 'placed' }>;

export type GangDecision =
  | {
      readonly outcome: 'placed';
      readonly gang: string;
      /** "rack:…", "block:…" or "rail:…" when the gang had a domain. */
      readonly domain?: string;
      readonly pods: readonly PlacedPod[];
    }
  | {
      readonly outcome: 'unschedulable';
      readonly gang: string;
      readonly verdict: UnschedulableVerdict;
      /** Domains tried, in order (empty without a gang domain). */
      readonly domainsTried: readonly string[];
      /** The first pod that did not fit in the attempt that got furthest. */
      readonly failedPod: string;
      readonly placedBeforeFailure: number;
      readonly reason: Unschedulable;
      readonly message: string;
    };
