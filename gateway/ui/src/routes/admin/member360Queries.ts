import { graphql } from "../../gql";

// Member 360's first two queries, in the main chunk so the route's loader can send them with the
// route match, alongside the screen's own chunk (tanstack loads both at once), not after its first render.

// The header: who, status, tier and progress, the balances. Each tab below runs its own single query
// when opened (none fetches per row).
export const Header = graphql(`
  query Member360($program: String!, $number: String!) {
    member(program: $program, loyaltyNumber: $number) {
      loyaltyNumber firstName lastName email phone status mergedInto
      points { availablePoints pendingPoints onHoldPoints lifetimeEarned usedPoints expiredPoints nextExpiringPoints nextExpiryDate }
      tiers { slabCode tierCode tierName level achievedAt }
    }
    tierProgress(program: $program, loyaltyNumber: $number) {
      slabCode tierCode metric currentValue nextTierCode nextThreshold needed closeToUpgrade
    }
  }
`);
export const LedgerTab = graphql(`
  query Member360Ledger($program: String!, $number: String!, $after: String, $closed: Boolean!) {
    pointsHistory(program: $program, loyaltyNumber: $number, first: 25, after: $after) {
      items { id kind reference points occurredAt status reason amount currency orderReference counterpartyLoyaltyNumber }
      nextCursor
    }
    memberLots(program: $program, loyaltyNumber: $number, includeClosed: $closed) {
      id kind reference points remaining earnedAt expiresAt
    }
  }
`);
