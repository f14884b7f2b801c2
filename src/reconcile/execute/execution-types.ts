// The shapes the executor is driven by and reports with, apart from the executor itself,
// so the steps it runs and the rollout stages that read its result depend on these types
// rather than on the executor (which depends on the steps).
import type { Clock } from '../../clock.js';
import type { DockerNode } from '../../docker/types.js';
import type { RegistryAuth } from '../../docker/registry/auth-resolver.js';
import type { ContainerAction } from '../plan/actions.js';

export interface StepEvent {
  stack: string;
  service: string;
  node?: string;
  container?: string;
  message: string;
}

export interface ExecutorEvent extends StepEvent {
  phase: 'start' | 'done' | 'failed' | 'batch' | 'paused' | 'skipped';
}

export interface ExecuteOptions {
  node(name: string): DockerNode;
  clock: Clock;
  signal: AbortSignal;
  /** Docker calls in flight per node. */
  perNodeConcurrency?: number;
  /** Gate new and replaced containers on health (DESIGN.md "Health"). */
  healthGate?: boolean;
  /** Use each service's rollback_config instead of update_config (the way back). */
  rollback?: boolean;
  onEvent?(event: ExecutorEvent): void;
  /** Credentials for pulls; without it every pull is anonymous. */
  registryAuth?: RegistryAuth;
  /** Told the outcome of every pull (for flotilla_image_pull_total). */
  onImagePull?(event: ImagePullEvent): void;
}

export interface ImagePullEvent {
  node: string;
  image: string;
  /** The image's registry host, normalized. */
  registry: string;
  /** `success`, or the failure's metric label (`unauthorized`, `manifest_unknown`, ...). */
  result: string;
  /** The pull itself, credential lookup excluded. */
  durationMs: number;
  /** Whether credentials were sent. */
  authenticated: boolean;
}

/**
 * Set once a service fails with failure_action rollback: the cluster is about to be reverted,
 * so other services stop before their next batch rather than roll further forward.
 */
export interface Halt {
  halted: boolean;
  reason?: string;
  /**
   * Aborted when the halt will be followed by a revert: replicas of other services still
   * waiting on their health gates stop waiting (what they wait for is about to be undone),
   * so the revert decision does not wait for their `monitor` and healthcheck timings.
   */
  interrupt?: AbortController;
}

export interface ServiceFailure {
  stack: string;
  service: string;
  node: string;
  reason: string;
  action: ContainerAction['type'];
}

export interface ExecutionResult {
  /** converged: every action succeeded (or failed under failure_action: continue within ratio). */
  outcome: 'converged' | 'failed' | 'paused';
  failures: ServiceFailure[];
  /** Services at least one container action ran for ("stack/service"). */
  touched: string[];
  executed: number;
  /** True when a failure asks for the cluster to be reverted (failure_action: rollback). */
  wantsRevert: boolean;
}
