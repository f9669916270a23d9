/**
 * What each provider tells the shared conformance suite about itself: its definition and the
 * documented test inputs its sandbox turns into each outcome. A provider's
 * `<id>.conformance.test.ts` is `describeAdapterConformance(driver)` and nothing else.
 */
import type { FailureCode, PayoutDestination, ProviderDefinition, ProviderStatus } from '../provider.ts';

export interface CollectionCase {
  readonly name: string;
  /** Payer details for the collection request (an STK push's phone decides its outcome). */
  readonly payer: { readonly phone?: string; readonly email?: string; readonly name?: string };
  /** What the payer enters on the hosted checkout (`SandboxControl.pay`): a test card, … */
  readonly testInput: string;
  readonly expect: ProviderStatus;
  readonly failureCode?: FailureCode;
}

export interface PayoutCase {
  readonly name: string;
  readonly destination: PayoutDestination;
  readonly expect: ProviderStatus;
  readonly failureCode?: FailureCode;
}

export interface ConformanceDriver {
  readonly definition: ProviderDefinition;
  readonly currency: string;
  /** An amount the provider accepts that is not round (catches unit mistakes), in minor units. */
  readonly amountMinor: bigint;
  readonly collections: readonly CollectionCase[];
  /**
   * The collection status query reports no amount (M-Pesa's STK query): the suite then checks that
   * the adapter doesn't make one up. Default: it reports the amount, which must be the one charged.
   */
  readonly statusWithoutAmount?: boolean;
  /** Required when the provider can pay out. */
  readonly payouts?: readonly PayoutCase[];
}
