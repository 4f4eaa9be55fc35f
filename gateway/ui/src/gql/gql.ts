/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation RefreshSession($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken expiresAt } }\n": typeof types.RefreshSessionDocument,
    "\n  mutation SignOut($token: String!) { signOut(refreshToken: $token) }\n": typeof types.SignOutDocument,
    "query TierFreezeWindows($program: String!) { tierFreezeWindows(program: $program) { id startsOn endsOn reason createdBy } }": typeof types.TierFreezeWindowsDocument,
    "mutation AddTierFreezeWindow($input: AddTierFreezeWindowInput!) { addTierFreezeWindow(input: $input) { id } }": typeof types.AddTierFreezeWindowDocument,
    "mutation RemoveTierFreezeWindow($input: RemoveTierFreezeWindowInput!) { removeTierFreezeWindow(input: $input) }": typeof types.RemoveTierFreezeWindowDocument,
    "query ShellPrograms { me { displayName email programs { code name } } }": typeof types.ShellProgramsDocument,
    "\n  mutation AcceptInvitation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { accessToken refreshToken expiresAt } }\n": typeof types.AcceptInvitationDocument,
    "\n  mutation RequestPasswordReset($email: String!) { requestPasswordReset(email: $email) }\n": typeof types.RequestPasswordResetDocument,
    "\n  mutation ResetPassword($input: ResetPasswordInput!) { resetPassword(input: $input) }\n": typeof types.ResetPasswordDocument,
    "\n  mutation StaffSignIn($input: SignInInput!) { signIn(input: $input) { accessToken refreshToken expiresAt mfaRequired } }\n": typeof types.StaffSignInDocument,
    "\n  query SignedInViewer { me { subject displayName programs { code name } } }\n": typeof types.SignedInViewerDocument,
    "\n  query ProgramApiKeys($program: String!, $includeRevoked: Boolean!) {\n    apiKeys(program: $program, includeRevoked: $includeRevoked) { keyId name scopes createdBy createdAt revokedAt expiresAt lastUsedAt rotatedTo }\n  }\n": typeof types.ProgramApiKeysDocument,
    "\n  mutation CreateProgramApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { keyId apiKey } }\n": typeof types.CreateProgramApiKeyDocument,
    "\n  mutation RotateProgramApiKey($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { keyId apiKey } }\n": typeof types.RotateProgramApiKeyDocument,
    "\n  mutation RevokeProgramApiKey($input: ApiKeyInput!) { revokeApiKey(input: $input) { keyId revokedAt } }\n": typeof types.RevokeProgramApiKeyDocument,
    "\n  query ProgramAuditLog($program: String!, $subject: String, $operation: String, $outcome: String, $from: String, $to: String, $before: String) {\n    auditLog(program: $program, subject: $subject, operation: $operation, outcome: $outcome, from: $from, to: $to, first: 100, before: $before) {\n      id occurredAt subject subjectKind roles ip operation targetIds summary outcome requestId\n    }\n  }\n": typeof types.ProgramAuditLogDocument,
    "\n  query ProgramAuditLogCsv($program: String!, $subject: String, $operation: String, $outcome: String, $from: String, $to: String) {\n    auditLogCsv(program: $program, subject: $subject, operation: $operation, outcome: $outcome, from: $from, to: $to)\n  }\n": typeof types.ProgramAuditLogCsvDocument,
    "\n  query Campaigns($program: String!) {\n    campaigns(program: $program) {\n      code name startsAt endsAt budgetTotal budgetPerMember archived discountBudgetTotal discountBudgetPerMember\n      targets { segments tiers clubs partners locations }\n    }\n  }\n": typeof types.CampaignsDocument,
    "\n  query CampaignReportScreen($program: String!, $code: String!) {\n    campaignReport(program: $program, code: $code) { code pointsIssued membersReached transactions budgetTotal budgetLeft }\n  }\n": typeof types.CampaignReportScreenDocument,
    "mutation SaveCampaign($input: SaveCampaignInput!) { saveCampaign(input: $input) { code } }": typeof types.SaveCampaignDocument,
    "\n  query DashboardActivity($program: String!, $from: String!, $period: String!) {\n    pointsActivity(program: $program, from: $from, period: $period) {\n      rows { period pointsEarned pointsUsed pointsExpired transactions activeMembers }\n      outstandingPoints membersWithPoints expiringIn30Days expiringIn60Days expiringIn90Days\n    }\n    pointsLiability(program: $program) { rows { expiryMonth points } totalPoints }\n  }\n": typeof types.DashboardActivityDocument,
    "\n  query DashboardTierMix($program: String!, $slab: String!, $from: String!, $to: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to) { tiers { tierCode members } }\n  }\n": typeof types.DashboardTierMixDocument,
    "query DashboardSlabs($program: String!) { tierSlabs(program: $program) { code name } }": typeof types.DashboardSlabsDocument,
    "\n  query LikelyDuplicates($program: String!, $after: String, $minScore: Int!, $query: String) {\n    likelyDuplicates(program: $program, first: 50, after: $after, minScore: $minScore, query: $query) {\n      pairs {\n        score reasons\n        first { loyaltyNumber firstName lastName email phone enrolledAt status }\n        second { loyaltyNumber firstName lastName email phone enrolledAt status }\n      }\n      nextCursor\n    }\n  }\n": typeof types.LikelyDuplicatesDocument,
    "\n  query MergePair($program: String!, $a: String!, $b: String!) {\n    a: member(program: $program, loyaltyNumber: $a) { ...MergeSide }\n    b: member(program: $program, loyaltyNumber: $b) { ...MergeSide }\n  }\n  fragment MergeSide on Member {\n    loyaltyNumber firstName lastName email phone birthDate zip status enrolledAt channel\n    points { availablePoints pendingPoints lifetimeEarned }\n    tiers { slabCode tierName }\n  }\n": typeof types.MergePairDocument,
    "\n  mutation MergeDuplicate($input: MergeMembersInput!) { mergeMembers(input: $input) { state toMember { loyaltyNumber } } }\n": typeof types.MergeDuplicateDocument,
    "\n  query LegacyImports($program: String!) {\n    legacyImports(program: $program) { ...LegacyImportFields }\n  }\n  fragment LegacyImportFields on LegacyImport {\n    id source state error startedAt updatedAt finishedAt voidBefore\n    rowsRead { file count } rowsLoaded { file count } rejectedRows rejectedByFile { file count }\n    membersCreated membersMatched membersQuarantined historyMembersDone historyMembersTotal\n    transactionsImported transactionsVoided lotsCreated lotsExpiredByPolicy membersRemediated\n    remediationCredited remediationDebited membersTiered unknownTierCodes\n    controlBatches controlBatchesOk controlBreak stepSeconds { step seconds }\n    reconciliation {\n      checkedAt membersImported balancesMatching matchingShare legacyMembers legacyBalances platformBalances\n      rowsQuarantined transactionsImported pointsByKind { kind legacyPoints platformPoints }\n      mismatches { legacyId loyaltyNumber legacyBalance platformBalance }\n    }\n  }\n": typeof types.LegacyImportsDocument,
    "\n  query LegacyImportRun($program: String!, $id: ID!, $after: String) {\n    legacyImport(program: $program, id: $id, first: 100, after: $after) {\n      run { ...LegacyImportFields }\n      rejections { file line key problem }\n      nextCursor\n    }\n  }\n": typeof types.LegacyImportRunDocument,
    "\n  query Member360Profile($program: String!, $number: String!) {\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber birthDate enrolledAt channel zip nationality optedInAt statusChangedAt customAttributes\n      consents { email sms post }\n      statusHistory { fromStatus toStatus reason changedBy changedAt }\n    }\n  }\n": typeof types.Member360ProfileDocument,
    "\n  query Member360Tiers($program: String!, $number: String!) {\n    tierStatus(program: $program, loyaltyNumber: $number) {\n      slabCode tierCode tierName level achievedAt lapsesOn overrideTierCode overrideEndsOn\n    }\n    tierHistory(program: $program, loyaltyNumber: $number) {\n      slabCode change fromTierCode toTierCode reason effectiveOn recordedAt\n    }\n    tierSlabs(program: $program) { code name tiers { code name } }\n  }\n": typeof types.Member360TiersDocument,
    "\n  query Member360Rewards($program: String!, $number: String!) {\n    memberRewardClaims(program: $program, loyaltyNumber: $number) {\n      reference rewardCode points status voucherCode claimedAt settledAt voidedAt holdExpiresAt orderReference\n    }\n    rewardEligibility(program: $program, loyaltyNumber: $number) {\n      available { reward { code name pointsCost } claimsLeft }\n      next { reward { code name pointsCost } pointsNeeded }\n    }\n  }\n": typeof types.Member360RewardsDocument,
    "\n  query Member360Earns($program: String!, $number: String!) {\n    pointsHistory(program: $program, loyaltyNumber: $number, kinds: [\"EARN\", \"RETRO_CLAIM\"], first: 25) {\n      items { id reference points occurredAt amount currency }\n    }\n  }\n": typeof types.Member360EarnsDocument,
    "\n  query Member360Explain($program: String!, $reference: String!) {\n    earnBreakdown(program: $program, reference: $reference) {\n      points netAmount\n      breakdown { rule ruleVersion pointType points description campaignCode }\n      discounts { rule description amount }\n    }\n  }\n": typeof types.Member360ExplainDocument,
    "\n  query Member360Clubs($program: String!, $number: String!) {\n    memberClubs(program: $program, loyaltyNumber: $number) { clubCodes }\n    clubs(program: $program) { code name }\n    member(program: $program, loyaltyNumber: $number) { loyaltyNumber segments }\n    segments(program: $program) { code name kind }\n  }\n": typeof types.Member360ClubsDocument,
    "query Member360Export($program: String!, $number: String!) { memberExport(program: $program, loyaltyNumber: $number) }": typeof types.Member360ExportDocument,
    "mutation AdjustPoints($input: AdjustInput!) { adjust(input: $input) { newBalance } }": typeof types.AdjustPointsDocument,
    "mutation GoodwillPoints($input: GoodwillInput!) { goodwill(input: $input) { newBalance } }": typeof types.GoodwillPointsDocument,
    "mutation TransferPoints($input: TransferInput!) { transfer(input: $input) { newBalance } }": typeof types.TransferPointsDocument,
    "mutation ExtendExpiry($input: ExtendExpiryInput!) { extendExpiry(input: $input) { lotsExtended pointsExtended } }": typeof types.ExtendExpiryDocument,
    "mutation ChangeMemberStatus($input: ChangeMemberStatusInput!) { changeMemberStatus(input: $input) { member { loyaltyNumber status } } }": typeof types.ChangeMemberStatusDocument,
    "mutation MergeMembers($input: MergeMembersInput!) { mergeMembers(input: $input) { state toMember { loyaltyNumber } } }": typeof types.MergeMembersDocument,
    "mutation EraseMember($input: EraseMemberInput!) { eraseMember(input: $input) { member { loyaltyNumber status } } }": typeof types.EraseMemberDocument,
    "mutation SetTierOverride($input: SetTierOverrideInput!) { setTierOverride(input: $input) { slabCode tierCode } }": typeof types.SetTierOverrideDocument,
    "mutation ClearTierOverride($input: ClearTierOverrideInput!) { clearTierOverride(input: $input) { slabCode tierCode } }": typeof types.ClearTierOverrideDocument,
    "\n  query SearchMembers($program: String!, $query: String!, $after: String, $status: String) {\n    searchMembers(program: $program, query: $query, first: 20, after: $after, status: $status) {\n      members { loyaltyNumber firstName lastName email phone status enrolledAt }\n      nextPageToken\n    }\n  }\n": typeof types.SearchMembersDocument,
    "\n  query PartnersScreen($program: String!, $status: String) {\n    partners(program: $program, status: $status) { code name status segmentCode locations { code name } contacts { name email } }\n    partnerSegments(program: $program) { code name partnerCodes }\n    rateCards(program: $program) { id partnerCode segmentCode campaignCode validFrom validTo issueRate redeemRate currency }\n  }\n": typeof types.PartnersScreenDocument,
    "\n  mutation CreatePartnerScreen($input: CreatePartnerInput!) { createPartner(input: $input) { code } }\n": typeof types.CreatePartnerScreenDocument,
    "\n  mutation UpdatePartnerStatus($input: UpdatePartnerInput!) { updatePartner(input: $input) { code status } }\n": typeof types.UpdatePartnerStatusDocument,
    "\n  mutation CreateRateCardScreen($input: CreateRateCardInput!) { createRateCard(input: $input) { id } }\n": typeof types.CreateRateCardScreenDocument,
    "\n  query ReportLiability($program: String!) { pointsLiability(program: $program) { rows { expiryMonth points } totalPoints } }\n": typeof types.ReportLiabilityDocument,
    "\n  query ReportBreakage($program: String!, $from: String, $to: String, $period: String!) {\n    pointsBreakage(program: $program, from: $from, to: $to, period: $period) { rows { period pointsIssued pointsExpired } }\n  }\n": typeof types.ReportBreakageDocument,
    "\n  query ReportRewards($program: String!, $from: String!, $to: String!, $period: String!) {\n    rewardsReport(program: $program, from: $from, to: $to, period: $period) {\n      rows { period rewardCode redemptions settled pointsBurned } totalRedemptions totalPointsBurned openHolds openHoldPoints\n    }\n  }\n": typeof types.ReportRewardsDocument,
    "\n  query ReportTierMovement($program: String!, $slab: String!, $from: String!, $to: String!, $period: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to, period: $period) {\n      tiers { tierCode members spend } periods { period upgrades downgrades }\n    }\n    tierSlabs(program: $program) { code name }\n  }\n": typeof types.ReportTierMovementDocument,
    "query ReportSlabs($program: String!) { tierSlabs(program: $program) { code name } }": typeof types.ReportSlabsDocument,
    "\n  query ReportPartnerBilling($program: String!, $month: String!) {\n    partnerStatements(program: $program, period: $month) {\n      period status\n      statements { partnerCode partnerName status currency invoiceNumber totals { issuedPoints issuedValue redeemedPoints redeemedValue correctionValue netValue lineCount } }\n    }\n    partnerInvoices(program: $program, period: $month) { number partnerCode period amountDue currency issuedAt csvUrl pdfUrl }\n  }\n": typeof types.ReportPartnerBillingDocument,
    "\n  mutation ClosePartnerPeriod($input: ClosePeriodInput!) { closeBillingPeriod(input: $input) { period closedNow invoices { number } } }\n": typeof types.ClosePartnerPeriodDocument,
    "query ReportCampaigns($program: String!) { campaigns(program: $program) { code name } }": typeof types.ReportCampaignsDocument,
    "\n  query ReportCampaign($program: String!, $code: String!) {\n    campaignReport(program: $program, code: $code) { code pointsIssued membersReached transactions budgetTotal budgetLeft }\n  }\n": typeof types.ReportCampaignDocument,
    "\n  query RewardsCatalogue($program: String!, $type: String, $includeInactive: Boolean!) {\n    rewards(program: $program, type: $type, includeInactive: $includeInactive) {\n      id code name description imageUrl type kind pointsCost value plu partnerCode validFrom validUntil stock\n      perMemberLimit tierCodes segmentCodes clubCodes locationCodes issuesVoucher active claimed\n    }\n  }\n": typeof types.RewardsCatalogueDocument,
    "mutation CreateReward($input: RewardInput!) { createReward(input: $input) { id code active } }": typeof types.CreateRewardDocument,
    "mutation UpdateReward($input: RewardInput!) { updateReward(input: $input) { id code active } }": typeof types.UpdateRewardDocument,
    "\n  query RuleEditorData($program: String!) {\n    ruleVocabulary(program: $program) {\n      variables { name type label description values }\n      itemFields { name type label description values }\n      operators { name label types }\n      ruleTypes modes\n      actionFields { ruleType name type choices }\n    }\n  }\n": typeof types.RuleEditorDataDocument,
    "\n  query RuleSetForEditor($program: String!, $code: String!) {\n    ruleSet(program: $program, code: $code) {\n      code name scope scopeRef publishedVersion draftVersion draftRules publishedRules\n      versions { version status createdAt publishedAt publishedBy rules }\n    }\n  }\n": typeof types.RuleSetForEditorDocument,
    "\n  query ValidateDraft($program: String!, $rules: JSON!) {\n    validateRules(program: $program, rules: $rules) { valid problems { rule field message } }\n  }\n": typeof types.ValidateDraftDocument,
    "\n  query DryRunDraft($input: DryRunEarnInput!) {\n    dryRunEarn(input: $input) {\n      points publishedPoints\n      breakdown { rule ruleVersion points description }\n      publishedBreakdown { rule ruleVersion points description }\n    }\n  }\n": typeof types.DryRunDraftDocument,
    "\n  query ReplayDraft($program: String!, $code: String!, $days: Int!) {\n    replayDraft(program: $program, ruleSetCode: $code, days: $days) {\n      transactions publishedPoints draftPoints pointsDifference membersAffected truncated\n    }\n  }\n": typeof types.ReplayDraftDocument,
    "\n  mutation SaveRuleSetDraft($input: SaveRuleSetInput!) { saveRuleSet(input: $input) { code draftVersion } }\n": typeof types.SaveRuleSetDraftDocument,
    "\n  mutation PublishRuleSet($program: String!, $code: String!, $draftVersion: Int) {\n    publishRuleSet(program: $program, code: $code, draftVersion: $draftVersion) { code publishedVersion }\n  }\n": typeof types.PublishRuleSetDocument,
    "\n  query RuleSets($program: String!) {\n    ruleSets(program: $program) { code name scope scopeRef publishedVersion draftVersion archived }\n  }\n": typeof types.RuleSetsDocument,
    "\n  query Segments($program: String!) { segments(program: $program) { code name kind rule memberCount refreshedAt unknownLoyaltyNumbers } }\n": typeof types.SegmentsDocument,
    "\n  query SegmentPreview($program: String!, $rule: JSON!) { segmentPreview(program: $program, rule: $rule, sampleSize: 10) { memberCount sampleLoyaltyNumbers } }\n": typeof types.SegmentPreviewDocument,
    "\n  mutation SaveSegment($input: SaveSegmentInput!) { saveSegment(input: $input) { code memberCount unknownLoyaltyNumbers } }\n": typeof types.SaveSegmentDocument,
    "\n  query ProgramSettings($program: String!) {\n    program(program: $program) { code name currency timezone expiryDays expiryRoundToMonthEnd archived }\n    programLimits(program: $program) { goodwillLimit }\n  }\n": typeof types.ProgramSettingsDocument,
    "\n  mutation UpdateProgramSettings($input: UpdateProgramInput!) { updateProgram(input: $input) { code name timezone expiryDays expiryRoundToMonthEnd } }\n": typeof types.UpdateProgramSettingsDocument,
    "\n  query MemberSettingsScreen($program: String!) { memberSettings(program: $program) { welcomeEnabled welcomeSubject welcomeBody customAttributesSchema } }\n": typeof types.MemberSettingsScreenDocument,
    "\n  mutation UpdateMemberSettingsScreen($input: UpdateMemberSettingsInput!) { updateMemberSettings(input: $input) { welcomeEnabled welcomeSubject welcomeBody } }\n": typeof types.UpdateMemberSettingsScreenDocument,
    "\n  query PlatformPrograms($archived: Boolean!) { programs(includeArchived: $archived) { code name currency timezone expiryDays archived } }\n": typeof types.PlatformProgramsDocument,
    "\n  query TierSlabs($program: String!) {\n    tierSlabs(program: $program) {\n      code name metric windowLength windowUnit downgrade graceDays closeToUpgradePercent\n      tiers { level code name benefits earnMultiplier threshold retentionThreshold validityMonths }\n    }\n  }\n": typeof types.TierSlabsDocument,
    "\n  query TierReportScreen($program: String!, $slab: String!, $from: String!, $to: String!, $period: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to, period: $period) {\n      slabCode tiers { tierCode members spend } periods { period upgrades downgrades }\n    }\n  }\n": typeof types.TierReportScreenDocument,
    "mutation DefineTierSlab($input: DefineTierSlabInput!) { defineTierSlab(input: $input) { code } }": typeof types.DefineTierSlabDocument,
    "\n  query ProgramTransactions($program: String!, $kinds: [String!], $from: String, $to: String, $first: Int!, $after: String) {\n    programTransactions(program: $program, kinds: $kinds, from: $from, to: $to, first: $first, after: $after) {\n      items { id kind reference points occurredAt status amount currency loyaltyNumber orderReference locationCode reason }\n      nextCursor\n    }\n  }\n": typeof types.ProgramTransactionsDocument,
    "\n  query ProgramUsers($program: String!) {\n    users(program: $program) { id email displayName status totpEnabled lastSignInAt roles { program role store } }\n    roles(program: $program) { code name builtin }\n  }\n": typeof types.ProgramUsersDocument,
    "\n  mutation InviteUser($input: InviteUserInput!) { inviteUser(input: $input) { userId expiresAt } }\n": typeof types.InviteUserDocument,
    "\n  mutation AssignRole($input: RoleAssignmentInput!) { assignRole(input: $input) { id roles { program role store } } }\n": typeof types.AssignRoleDocument,
    "\n  mutation RemoveRole($input: RoleAssignmentInput!) { removeRole(input: $input) { id roles { program role store } } }\n": typeof types.RemoveRoleDocument,
    "\n  mutation DeactivateUser($input: DeactivateUserInput!) { deactivateUser(input: $input) { id status } }\n": typeof types.DeactivateUserDocument,
    "\n  query Member360($program: String!, $number: String!) {\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber firstName lastName email phone status mergedInto\n      points { availablePoints pendingPoints onHoldPoints lifetimeEarned usedPoints expiredPoints nextExpiringPoints nextExpiryDate }\n      tiers { slabCode tierCode tierName level achievedAt }\n    }\n    tierProgress(program: $program, loyaltyNumber: $number) {\n      slabCode tierCode metric currentValue nextTierCode nextThreshold needed closeToUpgrade\n    }\n  }\n": typeof types.Member360Document,
    "\n  query Member360Ledger($program: String!, $number: String!, $after: String, $closed: Boolean!) {\n    pointsHistory(program: $program, loyaltyNumber: $number, first: 25, after: $after) {\n      items { id kind reference points occurredAt status reason amount currency orderReference counterpartyLoyaltyNumber }\n      nextCursor\n    }\n    memberLots(program: $program, loyaltyNumber: $number, includeClosed: $closed) {\n      id kind reference points remaining earnedAt expiresAt\n    }\n  }\n": typeof types.Member360LedgerDocument,
    "\n  query MyPoints {\n    me {\n      member {\n        loyaltyNumber program\n        profile {\n          firstName lastName email\n          points { availablePoints pendingPoints onHoldPoints lifetimeEarned nextExpiringPoints nextExpiryDate }\n          tiers { slabCode tierName }\n          recentActivity { id kind reference points occurredAt status amount currency }\n        }\n        tierProgress { slabCode tierCode nextTierCode currentValue nextThreshold needed metric closeToUpgrade }\n        claimableRewards { availablePoints available { reward { code name description } pointsNeeded } next { reward { code name } pointsNeeded } }\n      }\n    }\n  }\n": typeof types.MyPointsDocument,
    "mutation ExportMyData { exportMyData }": typeof types.ExportMyDataDocument,
    "\n  mutation PortalRequestPasscode($input: RequestMemberPasscodeInput!) { requestMemberPasscode(input: $input) }\n": typeof types.PortalRequestPasscodeDocument,
    "\n  mutation PortalSignIn($input: MemberSignInInput!) { memberSignIn(input: $input) { accessToken refreshToken expiresAt } }\n": typeof types.PortalSignInDocument,
    "\n  mutation TillEnroll($input: EnrollInput!) { enroll(input: $input) { member { loyaltyNumber } } }\n": typeof types.TillEnrollDocument,
    "\n  query TillSearch($program: String!, $query: String!, $field: String) {\n    searchMembers(program: $program, query: $query, field: $field, first: 10) {\n      members { loyaltyNumber firstName lastName email phone status }\n    }\n  }\n": typeof types.TillSearchDocument,
    "\n  query TillMember($program: String!, $number: String!) {\n    program(program: $program) { currency }\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber firstName lastName status\n      points { availablePoints pendingPoints onHoldPoints nextExpiringPoints nextExpiryDate }\n      tiers { slabCode tierName }\n    }\n  }\n": typeof types.TillMemberDocument,
    "\n  mutation TillEarn($input: EarnInput!) {\n    earn(input: $input) { transactionId oldBalance pointsEarned newBalance pending breakdown { rule points description } }\n  }\n": typeof types.TillEarnDocument,
    "\n  query TillQuote($input: DiscountQuoteInput!) {\n    quoteDiscounts(input: $input) { grossAmount discountTotal netAmount lines { rule amount description } }\n  }\n": typeof types.TillQuoteDocument,
    "\n  mutation TillRequestOtp($input: RequestOtpInput!) { requestOtp(input: $input) { destination expiresAt } }\n": typeof types.TillRequestOtpDocument,
    "\n  mutation TillRedeem($input: RedeemInput!) { redeem(input: $input) { transactionId points newBalance } }\n": typeof types.TillRedeemDocument,
    "\n  mutation TillVoid($input: VoidInput!) { void(input: $input) { transactionId points newBalance } }\n": typeof types.TillVoidDocument,
    "\n  mutation TillVoidOrder($input: VoidOrderInput!) { voidOrder(input: $input) { newBalance claims { rewardCode status } } }\n": typeof types.TillVoidOrderDocument,
    "\n  mutation TillGoodwill($input: GoodwillInput!) { goodwill(input: $input) { transactionId points newBalance } }\n": typeof types.TillGoodwillDocument,
    "\n  mutation TillRetroClaim($input: RetroClaimInput!) { retroClaim(input: $input) { pointsEarned newBalance breakdown { rule points description } } }\n": typeof types.TillRetroClaimDocument,
};
const documents: Documents = {
    "\n  mutation RefreshSession($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken expiresAt } }\n": types.RefreshSessionDocument,
    "\n  mutation SignOut($token: String!) { signOut(refreshToken: $token) }\n": types.SignOutDocument,
    "query TierFreezeWindows($program: String!) { tierFreezeWindows(program: $program) { id startsOn endsOn reason createdBy } }": types.TierFreezeWindowsDocument,
    "mutation AddTierFreezeWindow($input: AddTierFreezeWindowInput!) { addTierFreezeWindow(input: $input) { id } }": types.AddTierFreezeWindowDocument,
    "mutation RemoveTierFreezeWindow($input: RemoveTierFreezeWindowInput!) { removeTierFreezeWindow(input: $input) }": types.RemoveTierFreezeWindowDocument,
    "query ShellPrograms { me { displayName email programs { code name } } }": types.ShellProgramsDocument,
    "\n  mutation AcceptInvitation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { accessToken refreshToken expiresAt } }\n": types.AcceptInvitationDocument,
    "\n  mutation RequestPasswordReset($email: String!) { requestPasswordReset(email: $email) }\n": types.RequestPasswordResetDocument,
    "\n  mutation ResetPassword($input: ResetPasswordInput!) { resetPassword(input: $input) }\n": types.ResetPasswordDocument,
    "\n  mutation StaffSignIn($input: SignInInput!) { signIn(input: $input) { accessToken refreshToken expiresAt mfaRequired } }\n": types.StaffSignInDocument,
    "\n  query SignedInViewer { me { subject displayName programs { code name } } }\n": types.SignedInViewerDocument,
    "\n  query ProgramApiKeys($program: String!, $includeRevoked: Boolean!) {\n    apiKeys(program: $program, includeRevoked: $includeRevoked) { keyId name scopes createdBy createdAt revokedAt expiresAt lastUsedAt rotatedTo }\n  }\n": types.ProgramApiKeysDocument,
    "\n  mutation CreateProgramApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { keyId apiKey } }\n": types.CreateProgramApiKeyDocument,
    "\n  mutation RotateProgramApiKey($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { keyId apiKey } }\n": types.RotateProgramApiKeyDocument,
    "\n  mutation RevokeProgramApiKey($input: ApiKeyInput!) { revokeApiKey(input: $input) { keyId revokedAt } }\n": types.RevokeProgramApiKeyDocument,
    "\n  query ProgramAuditLog($program: String!, $subject: String, $operation: String, $outcome: String, $from: String, $to: String, $before: String) {\n    auditLog(program: $program, subject: $subject, operation: $operation, outcome: $outcome, from: $from, to: $to, first: 100, before: $before) {\n      id occurredAt subject subjectKind roles ip operation targetIds summary outcome requestId\n    }\n  }\n": types.ProgramAuditLogDocument,
    "\n  query ProgramAuditLogCsv($program: String!, $subject: String, $operation: String, $outcome: String, $from: String, $to: String) {\n    auditLogCsv(program: $program, subject: $subject, operation: $operation, outcome: $outcome, from: $from, to: $to)\n  }\n": types.ProgramAuditLogCsvDocument,
    "\n  query Campaigns($program: String!) {\n    campaigns(program: $program) {\n      code name startsAt endsAt budgetTotal budgetPerMember archived discountBudgetTotal discountBudgetPerMember\n      targets { segments tiers clubs partners locations }\n    }\n  }\n": types.CampaignsDocument,
    "\n  query CampaignReportScreen($program: String!, $code: String!) {\n    campaignReport(program: $program, code: $code) { code pointsIssued membersReached transactions budgetTotal budgetLeft }\n  }\n": types.CampaignReportScreenDocument,
    "mutation SaveCampaign($input: SaveCampaignInput!) { saveCampaign(input: $input) { code } }": types.SaveCampaignDocument,
    "\n  query DashboardActivity($program: String!, $from: String!, $period: String!) {\n    pointsActivity(program: $program, from: $from, period: $period) {\n      rows { period pointsEarned pointsUsed pointsExpired transactions activeMembers }\n      outstandingPoints membersWithPoints expiringIn30Days expiringIn60Days expiringIn90Days\n    }\n    pointsLiability(program: $program) { rows { expiryMonth points } totalPoints }\n  }\n": types.DashboardActivityDocument,
    "\n  query DashboardTierMix($program: String!, $slab: String!, $from: String!, $to: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to) { tiers { tierCode members } }\n  }\n": types.DashboardTierMixDocument,
    "query DashboardSlabs($program: String!) { tierSlabs(program: $program) { code name } }": types.DashboardSlabsDocument,
    "\n  query LikelyDuplicates($program: String!, $after: String, $minScore: Int!, $query: String) {\n    likelyDuplicates(program: $program, first: 50, after: $after, minScore: $minScore, query: $query) {\n      pairs {\n        score reasons\n        first { loyaltyNumber firstName lastName email phone enrolledAt status }\n        second { loyaltyNumber firstName lastName email phone enrolledAt status }\n      }\n      nextCursor\n    }\n  }\n": types.LikelyDuplicatesDocument,
    "\n  query MergePair($program: String!, $a: String!, $b: String!) {\n    a: member(program: $program, loyaltyNumber: $a) { ...MergeSide }\n    b: member(program: $program, loyaltyNumber: $b) { ...MergeSide }\n  }\n  fragment MergeSide on Member {\n    loyaltyNumber firstName lastName email phone birthDate zip status enrolledAt channel\n    points { availablePoints pendingPoints lifetimeEarned }\n    tiers { slabCode tierName }\n  }\n": types.MergePairDocument,
    "\n  mutation MergeDuplicate($input: MergeMembersInput!) { mergeMembers(input: $input) { state toMember { loyaltyNumber } } }\n": types.MergeDuplicateDocument,
    "\n  query LegacyImports($program: String!) {\n    legacyImports(program: $program) { ...LegacyImportFields }\n  }\n  fragment LegacyImportFields on LegacyImport {\n    id source state error startedAt updatedAt finishedAt voidBefore\n    rowsRead { file count } rowsLoaded { file count } rejectedRows rejectedByFile { file count }\n    membersCreated membersMatched membersQuarantined historyMembersDone historyMembersTotal\n    transactionsImported transactionsVoided lotsCreated lotsExpiredByPolicy membersRemediated\n    remediationCredited remediationDebited membersTiered unknownTierCodes\n    controlBatches controlBatchesOk controlBreak stepSeconds { step seconds }\n    reconciliation {\n      checkedAt membersImported balancesMatching matchingShare legacyMembers legacyBalances platformBalances\n      rowsQuarantined transactionsImported pointsByKind { kind legacyPoints platformPoints }\n      mismatches { legacyId loyaltyNumber legacyBalance platformBalance }\n    }\n  }\n": types.LegacyImportsDocument,
    "\n  query LegacyImportRun($program: String!, $id: ID!, $after: String) {\n    legacyImport(program: $program, id: $id, first: 100, after: $after) {\n      run { ...LegacyImportFields }\n      rejections { file line key problem }\n      nextCursor\n    }\n  }\n": types.LegacyImportRunDocument,
    "\n  query Member360Profile($program: String!, $number: String!) {\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber birthDate enrolledAt channel zip nationality optedInAt statusChangedAt customAttributes\n      consents { email sms post }\n      statusHistory { fromStatus toStatus reason changedBy changedAt }\n    }\n  }\n": types.Member360ProfileDocument,
    "\n  query Member360Tiers($program: String!, $number: String!) {\n    tierStatus(program: $program, loyaltyNumber: $number) {\n      slabCode tierCode tierName level achievedAt lapsesOn overrideTierCode overrideEndsOn\n    }\n    tierHistory(program: $program, loyaltyNumber: $number) {\n      slabCode change fromTierCode toTierCode reason effectiveOn recordedAt\n    }\n    tierSlabs(program: $program) { code name tiers { code name } }\n  }\n": types.Member360TiersDocument,
    "\n  query Member360Rewards($program: String!, $number: String!) {\n    memberRewardClaims(program: $program, loyaltyNumber: $number) {\n      reference rewardCode points status voucherCode claimedAt settledAt voidedAt holdExpiresAt orderReference\n    }\n    rewardEligibility(program: $program, loyaltyNumber: $number) {\n      available { reward { code name pointsCost } claimsLeft }\n      next { reward { code name pointsCost } pointsNeeded }\n    }\n  }\n": types.Member360RewardsDocument,
    "\n  query Member360Earns($program: String!, $number: String!) {\n    pointsHistory(program: $program, loyaltyNumber: $number, kinds: [\"EARN\", \"RETRO_CLAIM\"], first: 25) {\n      items { id reference points occurredAt amount currency }\n    }\n  }\n": types.Member360EarnsDocument,
    "\n  query Member360Explain($program: String!, $reference: String!) {\n    earnBreakdown(program: $program, reference: $reference) {\n      points netAmount\n      breakdown { rule ruleVersion pointType points description campaignCode }\n      discounts { rule description amount }\n    }\n  }\n": types.Member360ExplainDocument,
    "\n  query Member360Clubs($program: String!, $number: String!) {\n    memberClubs(program: $program, loyaltyNumber: $number) { clubCodes }\n    clubs(program: $program) { code name }\n    member(program: $program, loyaltyNumber: $number) { loyaltyNumber segments }\n    segments(program: $program) { code name kind }\n  }\n": types.Member360ClubsDocument,
    "query Member360Export($program: String!, $number: String!) { memberExport(program: $program, loyaltyNumber: $number) }": types.Member360ExportDocument,
    "mutation AdjustPoints($input: AdjustInput!) { adjust(input: $input) { newBalance } }": types.AdjustPointsDocument,
    "mutation GoodwillPoints($input: GoodwillInput!) { goodwill(input: $input) { newBalance } }": types.GoodwillPointsDocument,
    "mutation TransferPoints($input: TransferInput!) { transfer(input: $input) { newBalance } }": types.TransferPointsDocument,
    "mutation ExtendExpiry($input: ExtendExpiryInput!) { extendExpiry(input: $input) { lotsExtended pointsExtended } }": types.ExtendExpiryDocument,
    "mutation ChangeMemberStatus($input: ChangeMemberStatusInput!) { changeMemberStatus(input: $input) { member { loyaltyNumber status } } }": types.ChangeMemberStatusDocument,
    "mutation MergeMembers($input: MergeMembersInput!) { mergeMembers(input: $input) { state toMember { loyaltyNumber } } }": types.MergeMembersDocument,
    "mutation EraseMember($input: EraseMemberInput!) { eraseMember(input: $input) { member { loyaltyNumber status } } }": types.EraseMemberDocument,
    "mutation SetTierOverride($input: SetTierOverrideInput!) { setTierOverride(input: $input) { slabCode tierCode } }": types.SetTierOverrideDocument,
    "mutation ClearTierOverride($input: ClearTierOverrideInput!) { clearTierOverride(input: $input) { slabCode tierCode } }": types.ClearTierOverrideDocument,
    "\n  query SearchMembers($program: String!, $query: String!, $after: String, $status: String) {\n    searchMembers(program: $program, query: $query, first: 20, after: $after, status: $status) {\n      members { loyaltyNumber firstName lastName email phone status enrolledAt }\n      nextPageToken\n    }\n  }\n": types.SearchMembersDocument,
    "\n  query PartnersScreen($program: String!, $status: String) {\n    partners(program: $program, status: $status) { code name status segmentCode locations { code name } contacts { name email } }\n    partnerSegments(program: $program) { code name partnerCodes }\n    rateCards(program: $program) { id partnerCode segmentCode campaignCode validFrom validTo issueRate redeemRate currency }\n  }\n": types.PartnersScreenDocument,
    "\n  mutation CreatePartnerScreen($input: CreatePartnerInput!) { createPartner(input: $input) { code } }\n": types.CreatePartnerScreenDocument,
    "\n  mutation UpdatePartnerStatus($input: UpdatePartnerInput!) { updatePartner(input: $input) { code status } }\n": types.UpdatePartnerStatusDocument,
    "\n  mutation CreateRateCardScreen($input: CreateRateCardInput!) { createRateCard(input: $input) { id } }\n": types.CreateRateCardScreenDocument,
    "\n  query ReportLiability($program: String!) { pointsLiability(program: $program) { rows { expiryMonth points } totalPoints } }\n": types.ReportLiabilityDocument,
    "\n  query ReportBreakage($program: String!, $from: String, $to: String, $period: String!) {\n    pointsBreakage(program: $program, from: $from, to: $to, period: $period) { rows { period pointsIssued pointsExpired } }\n  }\n": types.ReportBreakageDocument,
    "\n  query ReportRewards($program: String!, $from: String!, $to: String!, $period: String!) {\n    rewardsReport(program: $program, from: $from, to: $to, period: $period) {\n      rows { period rewardCode redemptions settled pointsBurned } totalRedemptions totalPointsBurned openHolds openHoldPoints\n    }\n  }\n": types.ReportRewardsDocument,
    "\n  query ReportTierMovement($program: String!, $slab: String!, $from: String!, $to: String!, $period: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to, period: $period) {\n      tiers { tierCode members spend } periods { period upgrades downgrades }\n    }\n    tierSlabs(program: $program) { code name }\n  }\n": types.ReportTierMovementDocument,
    "query ReportSlabs($program: String!) { tierSlabs(program: $program) { code name } }": types.ReportSlabsDocument,
    "\n  query ReportPartnerBilling($program: String!, $month: String!) {\n    partnerStatements(program: $program, period: $month) {\n      period status\n      statements { partnerCode partnerName status currency invoiceNumber totals { issuedPoints issuedValue redeemedPoints redeemedValue correctionValue netValue lineCount } }\n    }\n    partnerInvoices(program: $program, period: $month) { number partnerCode period amountDue currency issuedAt csvUrl pdfUrl }\n  }\n": types.ReportPartnerBillingDocument,
    "\n  mutation ClosePartnerPeriod($input: ClosePeriodInput!) { closeBillingPeriod(input: $input) { period closedNow invoices { number } } }\n": types.ClosePartnerPeriodDocument,
    "query ReportCampaigns($program: String!) { campaigns(program: $program) { code name } }": types.ReportCampaignsDocument,
    "\n  query ReportCampaign($program: String!, $code: String!) {\n    campaignReport(program: $program, code: $code) { code pointsIssued membersReached transactions budgetTotal budgetLeft }\n  }\n": types.ReportCampaignDocument,
    "\n  query RewardsCatalogue($program: String!, $type: String, $includeInactive: Boolean!) {\n    rewards(program: $program, type: $type, includeInactive: $includeInactive) {\n      id code name description imageUrl type kind pointsCost value plu partnerCode validFrom validUntil stock\n      perMemberLimit tierCodes segmentCodes clubCodes locationCodes issuesVoucher active claimed\n    }\n  }\n": types.RewardsCatalogueDocument,
    "mutation CreateReward($input: RewardInput!) { createReward(input: $input) { id code active } }": types.CreateRewardDocument,
    "mutation UpdateReward($input: RewardInput!) { updateReward(input: $input) { id code active } }": types.UpdateRewardDocument,
    "\n  query RuleEditorData($program: String!) {\n    ruleVocabulary(program: $program) {\n      variables { name type label description values }\n      itemFields { name type label description values }\n      operators { name label types }\n      ruleTypes modes\n      actionFields { ruleType name type choices }\n    }\n  }\n": types.RuleEditorDataDocument,
    "\n  query RuleSetForEditor($program: String!, $code: String!) {\n    ruleSet(program: $program, code: $code) {\n      code name scope scopeRef publishedVersion draftVersion draftRules publishedRules\n      versions { version status createdAt publishedAt publishedBy rules }\n    }\n  }\n": types.RuleSetForEditorDocument,
    "\n  query ValidateDraft($program: String!, $rules: JSON!) {\n    validateRules(program: $program, rules: $rules) { valid problems { rule field message } }\n  }\n": types.ValidateDraftDocument,
    "\n  query DryRunDraft($input: DryRunEarnInput!) {\n    dryRunEarn(input: $input) {\n      points publishedPoints\n      breakdown { rule ruleVersion points description }\n      publishedBreakdown { rule ruleVersion points description }\n    }\n  }\n": types.DryRunDraftDocument,
    "\n  query ReplayDraft($program: String!, $code: String!, $days: Int!) {\n    replayDraft(program: $program, ruleSetCode: $code, days: $days) {\n      transactions publishedPoints draftPoints pointsDifference membersAffected truncated\n    }\n  }\n": types.ReplayDraftDocument,
    "\n  mutation SaveRuleSetDraft($input: SaveRuleSetInput!) { saveRuleSet(input: $input) { code draftVersion } }\n": types.SaveRuleSetDraftDocument,
    "\n  mutation PublishRuleSet($program: String!, $code: String!, $draftVersion: Int) {\n    publishRuleSet(program: $program, code: $code, draftVersion: $draftVersion) { code publishedVersion }\n  }\n": types.PublishRuleSetDocument,
    "\n  query RuleSets($program: String!) {\n    ruleSets(program: $program) { code name scope scopeRef publishedVersion draftVersion archived }\n  }\n": types.RuleSetsDocument,
    "\n  query Segments($program: String!) { segments(program: $program) { code name kind rule memberCount refreshedAt unknownLoyaltyNumbers } }\n": types.SegmentsDocument,
    "\n  query SegmentPreview($program: String!, $rule: JSON!) { segmentPreview(program: $program, rule: $rule, sampleSize: 10) { memberCount sampleLoyaltyNumbers } }\n": types.SegmentPreviewDocument,
    "\n  mutation SaveSegment($input: SaveSegmentInput!) { saveSegment(input: $input) { code memberCount unknownLoyaltyNumbers } }\n": types.SaveSegmentDocument,
    "\n  query ProgramSettings($program: String!) {\n    program(program: $program) { code name currency timezone expiryDays expiryRoundToMonthEnd archived }\n    programLimits(program: $program) { goodwillLimit }\n  }\n": types.ProgramSettingsDocument,
    "\n  mutation UpdateProgramSettings($input: UpdateProgramInput!) { updateProgram(input: $input) { code name timezone expiryDays expiryRoundToMonthEnd } }\n": types.UpdateProgramSettingsDocument,
    "\n  query MemberSettingsScreen($program: String!) { memberSettings(program: $program) { welcomeEnabled welcomeSubject welcomeBody customAttributesSchema } }\n": types.MemberSettingsScreenDocument,
    "\n  mutation UpdateMemberSettingsScreen($input: UpdateMemberSettingsInput!) { updateMemberSettings(input: $input) { welcomeEnabled welcomeSubject welcomeBody } }\n": types.UpdateMemberSettingsScreenDocument,
    "\n  query PlatformPrograms($archived: Boolean!) { programs(includeArchived: $archived) { code name currency timezone expiryDays archived } }\n": types.PlatformProgramsDocument,
    "\n  query TierSlabs($program: String!) {\n    tierSlabs(program: $program) {\n      code name metric windowLength windowUnit downgrade graceDays closeToUpgradePercent\n      tiers { level code name benefits earnMultiplier threshold retentionThreshold validityMonths }\n    }\n  }\n": types.TierSlabsDocument,
    "\n  query TierReportScreen($program: String!, $slab: String!, $from: String!, $to: String!, $period: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to, period: $period) {\n      slabCode tiers { tierCode members spend } periods { period upgrades downgrades }\n    }\n  }\n": types.TierReportScreenDocument,
    "mutation DefineTierSlab($input: DefineTierSlabInput!) { defineTierSlab(input: $input) { code } }": types.DefineTierSlabDocument,
    "\n  query ProgramTransactions($program: String!, $kinds: [String!], $from: String, $to: String, $first: Int!, $after: String) {\n    programTransactions(program: $program, kinds: $kinds, from: $from, to: $to, first: $first, after: $after) {\n      items { id kind reference points occurredAt status amount currency loyaltyNumber orderReference locationCode reason }\n      nextCursor\n    }\n  }\n": types.ProgramTransactionsDocument,
    "\n  query ProgramUsers($program: String!) {\n    users(program: $program) { id email displayName status totpEnabled lastSignInAt roles { program role store } }\n    roles(program: $program) { code name builtin }\n  }\n": types.ProgramUsersDocument,
    "\n  mutation InviteUser($input: InviteUserInput!) { inviteUser(input: $input) { userId expiresAt } }\n": types.InviteUserDocument,
    "\n  mutation AssignRole($input: RoleAssignmentInput!) { assignRole(input: $input) { id roles { program role store } } }\n": types.AssignRoleDocument,
    "\n  mutation RemoveRole($input: RoleAssignmentInput!) { removeRole(input: $input) { id roles { program role store } } }\n": types.RemoveRoleDocument,
    "\n  mutation DeactivateUser($input: DeactivateUserInput!) { deactivateUser(input: $input) { id status } }\n": types.DeactivateUserDocument,
    "\n  query Member360($program: String!, $number: String!) {\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber firstName lastName email phone status mergedInto\n      points { availablePoints pendingPoints onHoldPoints lifetimeEarned usedPoints expiredPoints nextExpiringPoints nextExpiryDate }\n      tiers { slabCode tierCode tierName level achievedAt }\n    }\n    tierProgress(program: $program, loyaltyNumber: $number) {\n      slabCode tierCode metric currentValue nextTierCode nextThreshold needed closeToUpgrade\n    }\n  }\n": types.Member360Document,
    "\n  query Member360Ledger($program: String!, $number: String!, $after: String, $closed: Boolean!) {\n    pointsHistory(program: $program, loyaltyNumber: $number, first: 25, after: $after) {\n      items { id kind reference points occurredAt status reason amount currency orderReference counterpartyLoyaltyNumber }\n      nextCursor\n    }\n    memberLots(program: $program, loyaltyNumber: $number, includeClosed: $closed) {\n      id kind reference points remaining earnedAt expiresAt\n    }\n  }\n": types.Member360LedgerDocument,
    "\n  query MyPoints {\n    me {\n      member {\n        loyaltyNumber program\n        profile {\n          firstName lastName email\n          points { availablePoints pendingPoints onHoldPoints lifetimeEarned nextExpiringPoints nextExpiryDate }\n          tiers { slabCode tierName }\n          recentActivity { id kind reference points occurredAt status amount currency }\n        }\n        tierProgress { slabCode tierCode nextTierCode currentValue nextThreshold needed metric closeToUpgrade }\n        claimableRewards { availablePoints available { reward { code name description } pointsNeeded } next { reward { code name } pointsNeeded } }\n      }\n    }\n  }\n": types.MyPointsDocument,
    "mutation ExportMyData { exportMyData }": types.ExportMyDataDocument,
    "\n  mutation PortalRequestPasscode($input: RequestMemberPasscodeInput!) { requestMemberPasscode(input: $input) }\n": types.PortalRequestPasscodeDocument,
    "\n  mutation PortalSignIn($input: MemberSignInInput!) { memberSignIn(input: $input) { accessToken refreshToken expiresAt } }\n": types.PortalSignInDocument,
    "\n  mutation TillEnroll($input: EnrollInput!) { enroll(input: $input) { member { loyaltyNumber } } }\n": types.TillEnrollDocument,
    "\n  query TillSearch($program: String!, $query: String!, $field: String) {\n    searchMembers(program: $program, query: $query, field: $field, first: 10) {\n      members { loyaltyNumber firstName lastName email phone status }\n    }\n  }\n": types.TillSearchDocument,
    "\n  query TillMember($program: String!, $number: String!) {\n    program(program: $program) { currency }\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber firstName lastName status\n      points { availablePoints pendingPoints onHoldPoints nextExpiringPoints nextExpiryDate }\n      tiers { slabCode tierName }\n    }\n  }\n": types.TillMemberDocument,
    "\n  mutation TillEarn($input: EarnInput!) {\n    earn(input: $input) { transactionId oldBalance pointsEarned newBalance pending breakdown { rule points description } }\n  }\n": types.TillEarnDocument,
    "\n  query TillQuote($input: DiscountQuoteInput!) {\n    quoteDiscounts(input: $input) { grossAmount discountTotal netAmount lines { rule amount description } }\n  }\n": types.TillQuoteDocument,
    "\n  mutation TillRequestOtp($input: RequestOtpInput!) { requestOtp(input: $input) { destination expiresAt } }\n": types.TillRequestOtpDocument,
    "\n  mutation TillRedeem($input: RedeemInput!) { redeem(input: $input) { transactionId points newBalance } }\n": types.TillRedeemDocument,
    "\n  mutation TillVoid($input: VoidInput!) { void(input: $input) { transactionId points newBalance } }\n": types.TillVoidDocument,
    "\n  mutation TillVoidOrder($input: VoidOrderInput!) { voidOrder(input: $input) { newBalance claims { rewardCode status } } }\n": types.TillVoidOrderDocument,
    "\n  mutation TillGoodwill($input: GoodwillInput!) { goodwill(input: $input) { transactionId points newBalance } }\n": types.TillGoodwillDocument,
    "\n  mutation TillRetroClaim($input: RetroClaimInput!) { retroClaim(input: $input) { pointsEarned newBalance breakdown { rule points description } } }\n": types.TillRetroClaimDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RefreshSession($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken expiresAt } }\n"): (typeof documents)["\n  mutation RefreshSession($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken expiresAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignOut($token: String!) { signOut(refreshToken: $token) }\n"): (typeof documents)["\n  mutation SignOut($token: String!) { signOut(refreshToken: $token) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query TierFreezeWindows($program: String!) { tierFreezeWindows(program: $program) { id startsOn endsOn reason createdBy } }"): (typeof documents)["query TierFreezeWindows($program: String!) { tierFreezeWindows(program: $program) { id startsOn endsOn reason createdBy } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddTierFreezeWindow($input: AddTierFreezeWindowInput!) { addTierFreezeWindow(input: $input) { id } }"): (typeof documents)["mutation AddTierFreezeWindow($input: AddTierFreezeWindowInput!) { addTierFreezeWindow(input: $input) { id } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RemoveTierFreezeWindow($input: RemoveTierFreezeWindowInput!) { removeTierFreezeWindow(input: $input) }"): (typeof documents)["mutation RemoveTierFreezeWindow($input: RemoveTierFreezeWindowInput!) { removeTierFreezeWindow(input: $input) }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ShellPrograms { me { displayName email programs { code name } } }"): (typeof documents)["query ShellPrograms { me { displayName email programs { code name } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AcceptInvitation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { accessToken refreshToken expiresAt } }\n"): (typeof documents)["\n  mutation AcceptInvitation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { accessToken refreshToken expiresAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestPasswordReset($email: String!) { requestPasswordReset(email: $email) }\n"): (typeof documents)["\n  mutation RequestPasswordReset($email: String!) { requestPasswordReset(email: $email) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResetPassword($input: ResetPasswordInput!) { resetPassword(input: $input) }\n"): (typeof documents)["\n  mutation ResetPassword($input: ResetPasswordInput!) { resetPassword(input: $input) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StaffSignIn($input: SignInInput!) { signIn(input: $input) { accessToken refreshToken expiresAt mfaRequired } }\n"): (typeof documents)["\n  mutation StaffSignIn($input: SignInInput!) { signIn(input: $input) { accessToken refreshToken expiresAt mfaRequired } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SignedInViewer { me { subject displayName programs { code name } } }\n"): (typeof documents)["\n  query SignedInViewer { me { subject displayName programs { code name } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProgramApiKeys($program: String!, $includeRevoked: Boolean!) {\n    apiKeys(program: $program, includeRevoked: $includeRevoked) { keyId name scopes createdBy createdAt revokedAt expiresAt lastUsedAt rotatedTo }\n  }\n"): (typeof documents)["\n  query ProgramApiKeys($program: String!, $includeRevoked: Boolean!) {\n    apiKeys(program: $program, includeRevoked: $includeRevoked) { keyId name scopes createdBy createdAt revokedAt expiresAt lastUsedAt rotatedTo }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateProgramApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { keyId apiKey } }\n"): (typeof documents)["\n  mutation CreateProgramApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { keyId apiKey } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RotateProgramApiKey($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { keyId apiKey } }\n"): (typeof documents)["\n  mutation RotateProgramApiKey($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { keyId apiKey } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeProgramApiKey($input: ApiKeyInput!) { revokeApiKey(input: $input) { keyId revokedAt } }\n"): (typeof documents)["\n  mutation RevokeProgramApiKey($input: ApiKeyInput!) { revokeApiKey(input: $input) { keyId revokedAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProgramAuditLog($program: String!, $subject: String, $operation: String, $outcome: String, $from: String, $to: String, $before: String) {\n    auditLog(program: $program, subject: $subject, operation: $operation, outcome: $outcome, from: $from, to: $to, first: 100, before: $before) {\n      id occurredAt subject subjectKind roles ip operation targetIds summary outcome requestId\n    }\n  }\n"): (typeof documents)["\n  query ProgramAuditLog($program: String!, $subject: String, $operation: String, $outcome: String, $from: String, $to: String, $before: String) {\n    auditLog(program: $program, subject: $subject, operation: $operation, outcome: $outcome, from: $from, to: $to, first: 100, before: $before) {\n      id occurredAt subject subjectKind roles ip operation targetIds summary outcome requestId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProgramAuditLogCsv($program: String!, $subject: String, $operation: String, $outcome: String, $from: String, $to: String) {\n    auditLogCsv(program: $program, subject: $subject, operation: $operation, outcome: $outcome, from: $from, to: $to)\n  }\n"): (typeof documents)["\n  query ProgramAuditLogCsv($program: String!, $subject: String, $operation: String, $outcome: String, $from: String, $to: String) {\n    auditLogCsv(program: $program, subject: $subject, operation: $operation, outcome: $outcome, from: $from, to: $to)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Campaigns($program: String!) {\n    campaigns(program: $program) {\n      code name startsAt endsAt budgetTotal budgetPerMember archived discountBudgetTotal discountBudgetPerMember\n      targets { segments tiers clubs partners locations }\n    }\n  }\n"): (typeof documents)["\n  query Campaigns($program: String!) {\n    campaigns(program: $program) {\n      code name startsAt endsAt budgetTotal budgetPerMember archived discountBudgetTotal discountBudgetPerMember\n      targets { segments tiers clubs partners locations }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CampaignReportScreen($program: String!, $code: String!) {\n    campaignReport(program: $program, code: $code) { code pointsIssued membersReached transactions budgetTotal budgetLeft }\n  }\n"): (typeof documents)["\n  query CampaignReportScreen($program: String!, $code: String!) {\n    campaignReport(program: $program, code: $code) { code pointsIssued membersReached transactions budgetTotal budgetLeft }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SaveCampaign($input: SaveCampaignInput!) { saveCampaign(input: $input) { code } }"): (typeof documents)["mutation SaveCampaign($input: SaveCampaignInput!) { saveCampaign(input: $input) { code } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardActivity($program: String!, $from: String!, $period: String!) {\n    pointsActivity(program: $program, from: $from, period: $period) {\n      rows { period pointsEarned pointsUsed pointsExpired transactions activeMembers }\n      outstandingPoints membersWithPoints expiringIn30Days expiringIn60Days expiringIn90Days\n    }\n    pointsLiability(program: $program) { rows { expiryMonth points } totalPoints }\n  }\n"): (typeof documents)["\n  query DashboardActivity($program: String!, $from: String!, $period: String!) {\n    pointsActivity(program: $program, from: $from, period: $period) {\n      rows { period pointsEarned pointsUsed pointsExpired transactions activeMembers }\n      outstandingPoints membersWithPoints expiringIn30Days expiringIn60Days expiringIn90Days\n    }\n    pointsLiability(program: $program) { rows { expiryMonth points } totalPoints }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardTierMix($program: String!, $slab: String!, $from: String!, $to: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to) { tiers { tierCode members } }\n  }\n"): (typeof documents)["\n  query DashboardTierMix($program: String!, $slab: String!, $from: String!, $to: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to) { tiers { tierCode members } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query DashboardSlabs($program: String!) { tierSlabs(program: $program) { code name } }"): (typeof documents)["query DashboardSlabs($program: String!) { tierSlabs(program: $program) { code name } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LikelyDuplicates($program: String!, $after: String, $minScore: Int!, $query: String) {\n    likelyDuplicates(program: $program, first: 50, after: $after, minScore: $minScore, query: $query) {\n      pairs {\n        score reasons\n        first { loyaltyNumber firstName lastName email phone enrolledAt status }\n        second { loyaltyNumber firstName lastName email phone enrolledAt status }\n      }\n      nextCursor\n    }\n  }\n"): (typeof documents)["\n  query LikelyDuplicates($program: String!, $after: String, $minScore: Int!, $query: String) {\n    likelyDuplicates(program: $program, first: 50, after: $after, minScore: $minScore, query: $query) {\n      pairs {\n        score reasons\n        first { loyaltyNumber firstName lastName email phone enrolledAt status }\n        second { loyaltyNumber firstName lastName email phone enrolledAt status }\n      }\n      nextCursor\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MergePair($program: String!, $a: String!, $b: String!) {\n    a: member(program: $program, loyaltyNumber: $a) { ...MergeSide }\n    b: member(program: $program, loyaltyNumber: $b) { ...MergeSide }\n  }\n  fragment MergeSide on Member {\n    loyaltyNumber firstName lastName email phone birthDate zip status enrolledAt channel\n    points { availablePoints pendingPoints lifetimeEarned }\n    tiers { slabCode tierName }\n  }\n"): (typeof documents)["\n  query MergePair($program: String!, $a: String!, $b: String!) {\n    a: member(program: $program, loyaltyNumber: $a) { ...MergeSide }\n    b: member(program: $program, loyaltyNumber: $b) { ...MergeSide }\n  }\n  fragment MergeSide on Member {\n    loyaltyNumber firstName lastName email phone birthDate zip status enrolledAt channel\n    points { availablePoints pendingPoints lifetimeEarned }\n    tiers { slabCode tierName }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MergeDuplicate($input: MergeMembersInput!) { mergeMembers(input: $input) { state toMember { loyaltyNumber } } }\n"): (typeof documents)["\n  mutation MergeDuplicate($input: MergeMembersInput!) { mergeMembers(input: $input) { state toMember { loyaltyNumber } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LegacyImports($program: String!) {\n    legacyImports(program: $program) { ...LegacyImportFields }\n  }\n  fragment LegacyImportFields on LegacyImport {\n    id source state error startedAt updatedAt finishedAt voidBefore\n    rowsRead { file count } rowsLoaded { file count } rejectedRows rejectedByFile { file count }\n    membersCreated membersMatched membersQuarantined historyMembersDone historyMembersTotal\n    transactionsImported transactionsVoided lotsCreated lotsExpiredByPolicy membersRemediated\n    remediationCredited remediationDebited membersTiered unknownTierCodes\n    controlBatches controlBatchesOk controlBreak stepSeconds { step seconds }\n    reconciliation {\n      checkedAt membersImported balancesMatching matchingShare legacyMembers legacyBalances platformBalances\n      rowsQuarantined transactionsImported pointsByKind { kind legacyPoints platformPoints }\n      mismatches { legacyId loyaltyNumber legacyBalance platformBalance }\n    }\n  }\n"): (typeof documents)["\n  query LegacyImports($program: String!) {\n    legacyImports(program: $program) { ...LegacyImportFields }\n  }\n  fragment LegacyImportFields on LegacyImport {\n    id source state error startedAt updatedAt finishedAt voidBefore\n    rowsRead { file count } rowsLoaded { file count } rejectedRows rejectedByFile { file count }\n    membersCreated membersMatched membersQuarantined historyMembersDone historyMembersTotal\n    transactionsImported transactionsVoided lotsCreated lotsExpiredByPolicy membersRemediated\n    remediationCredited remediationDebited membersTiered unknownTierCodes\n    controlBatches controlBatchesOk controlBreak stepSeconds { step seconds }\n    reconciliation {\n      checkedAt membersImported balancesMatching matchingShare legacyMembers legacyBalances platformBalances\n      rowsQuarantined transactionsImported pointsByKind { kind legacyPoints platformPoints }\n      mismatches { legacyId loyaltyNumber legacyBalance platformBalance }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LegacyImportRun($program: String!, $id: ID!, $after: String) {\n    legacyImport(program: $program, id: $id, first: 100, after: $after) {\n      run { ...LegacyImportFields }\n      rejections { file line key problem }\n      nextCursor\n    }\n  }\n"): (typeof documents)["\n  query LegacyImportRun($program: String!, $id: ID!, $after: String) {\n    legacyImport(program: $program, id: $id, first: 100, after: $after) {\n      run { ...LegacyImportFields }\n      rejections { file line key problem }\n      nextCursor\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Member360Profile($program: String!, $number: String!) {\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber birthDate enrolledAt channel zip nationality optedInAt statusChangedAt customAttributes\n      consents { email sms post }\n      statusHistory { fromStatus toStatus reason changedBy changedAt }\n    }\n  }\n"): (typeof documents)["\n  query Member360Profile($program: String!, $number: String!) {\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber birthDate enrolledAt channel zip nationality optedInAt statusChangedAt customAttributes\n      consents { email sms post }\n      statusHistory { fromStatus toStatus reason changedBy changedAt }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Member360Tiers($program: String!, $number: String!) {\n    tierStatus(program: $program, loyaltyNumber: $number) {\n      slabCode tierCode tierName level achievedAt lapsesOn overrideTierCode overrideEndsOn\n    }\n    tierHistory(program: $program, loyaltyNumber: $number) {\n      slabCode change fromTierCode toTierCode reason effectiveOn recordedAt\n    }\n    tierSlabs(program: $program) { code name tiers { code name } }\n  }\n"): (typeof documents)["\n  query Member360Tiers($program: String!, $number: String!) {\n    tierStatus(program: $program, loyaltyNumber: $number) {\n      slabCode tierCode tierName level achievedAt lapsesOn overrideTierCode overrideEndsOn\n    }\n    tierHistory(program: $program, loyaltyNumber: $number) {\n      slabCode change fromTierCode toTierCode reason effectiveOn recordedAt\n    }\n    tierSlabs(program: $program) { code name tiers { code name } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Member360Rewards($program: String!, $number: String!) {\n    memberRewardClaims(program: $program, loyaltyNumber: $number) {\n      reference rewardCode points status voucherCode claimedAt settledAt voidedAt holdExpiresAt orderReference\n    }\n    rewardEligibility(program: $program, loyaltyNumber: $number) {\n      available { reward { code name pointsCost } claimsLeft }\n      next { reward { code name pointsCost } pointsNeeded }\n    }\n  }\n"): (typeof documents)["\n  query Member360Rewards($program: String!, $number: String!) {\n    memberRewardClaims(program: $program, loyaltyNumber: $number) {\n      reference rewardCode points status voucherCode claimedAt settledAt voidedAt holdExpiresAt orderReference\n    }\n    rewardEligibility(program: $program, loyaltyNumber: $number) {\n      available { reward { code name pointsCost } claimsLeft }\n      next { reward { code name pointsCost } pointsNeeded }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Member360Earns($program: String!, $number: String!) {\n    pointsHistory(program: $program, loyaltyNumber: $number, kinds: [\"EARN\", \"RETRO_CLAIM\"], first: 25) {\n      items { id reference points occurredAt amount currency }\n    }\n  }\n"): (typeof documents)["\n  query Member360Earns($program: String!, $number: String!) {\n    pointsHistory(program: $program, loyaltyNumber: $number, kinds: [\"EARN\", \"RETRO_CLAIM\"], first: 25) {\n      items { id reference points occurredAt amount currency }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Member360Explain($program: String!, $reference: String!) {\n    earnBreakdown(program: $program, reference: $reference) {\n      points netAmount\n      breakdown { rule ruleVersion pointType points description campaignCode }\n      discounts { rule description amount }\n    }\n  }\n"): (typeof documents)["\n  query Member360Explain($program: String!, $reference: String!) {\n    earnBreakdown(program: $program, reference: $reference) {\n      points netAmount\n      breakdown { rule ruleVersion pointType points description campaignCode }\n      discounts { rule description amount }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Member360Clubs($program: String!, $number: String!) {\n    memberClubs(program: $program, loyaltyNumber: $number) { clubCodes }\n    clubs(program: $program) { code name }\n    member(program: $program, loyaltyNumber: $number) { loyaltyNumber segments }\n    segments(program: $program) { code name kind }\n  }\n"): (typeof documents)["\n  query Member360Clubs($program: String!, $number: String!) {\n    memberClubs(program: $program, loyaltyNumber: $number) { clubCodes }\n    clubs(program: $program) { code name }\n    member(program: $program, loyaltyNumber: $number) { loyaltyNumber segments }\n    segments(program: $program) { code name kind }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Member360Export($program: String!, $number: String!) { memberExport(program: $program, loyaltyNumber: $number) }"): (typeof documents)["query Member360Export($program: String!, $number: String!) { memberExport(program: $program, loyaltyNumber: $number) }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AdjustPoints($input: AdjustInput!) { adjust(input: $input) { newBalance } }"): (typeof documents)["mutation AdjustPoints($input: AdjustInput!) { adjust(input: $input) { newBalance } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation GoodwillPoints($input: GoodwillInput!) { goodwill(input: $input) { newBalance } }"): (typeof documents)["mutation GoodwillPoints($input: GoodwillInput!) { goodwill(input: $input) { newBalance } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TransferPoints($input: TransferInput!) { transfer(input: $input) { newBalance } }"): (typeof documents)["mutation TransferPoints($input: TransferInput!) { transfer(input: $input) { newBalance } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ExtendExpiry($input: ExtendExpiryInput!) { extendExpiry(input: $input) { lotsExtended pointsExtended } }"): (typeof documents)["mutation ExtendExpiry($input: ExtendExpiryInput!) { extendExpiry(input: $input) { lotsExtended pointsExtended } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ChangeMemberStatus($input: ChangeMemberStatusInput!) { changeMemberStatus(input: $input) { member { loyaltyNumber status } } }"): (typeof documents)["mutation ChangeMemberStatus($input: ChangeMemberStatusInput!) { changeMemberStatus(input: $input) { member { loyaltyNumber status } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation MergeMembers($input: MergeMembersInput!) { mergeMembers(input: $input) { state toMember { loyaltyNumber } } }"): (typeof documents)["mutation MergeMembers($input: MergeMembersInput!) { mergeMembers(input: $input) { state toMember { loyaltyNumber } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation EraseMember($input: EraseMemberInput!) { eraseMember(input: $input) { member { loyaltyNumber status } } }"): (typeof documents)["mutation EraseMember($input: EraseMemberInput!) { eraseMember(input: $input) { member { loyaltyNumber status } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetTierOverride($input: SetTierOverrideInput!) { setTierOverride(input: $input) { slabCode tierCode } }"): (typeof documents)["mutation SetTierOverride($input: SetTierOverrideInput!) { setTierOverride(input: $input) { slabCode tierCode } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ClearTierOverride($input: ClearTierOverrideInput!) { clearTierOverride(input: $input) { slabCode tierCode } }"): (typeof documents)["mutation ClearTierOverride($input: ClearTierOverrideInput!) { clearTierOverride(input: $input) { slabCode tierCode } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchMembers($program: String!, $query: String!, $after: String, $status: String) {\n    searchMembers(program: $program, query: $query, first: 20, after: $after, status: $status) {\n      members { loyaltyNumber firstName lastName email phone status enrolledAt }\n      nextPageToken\n    }\n  }\n"): (typeof documents)["\n  query SearchMembers($program: String!, $query: String!, $after: String, $status: String) {\n    searchMembers(program: $program, query: $query, first: 20, after: $after, status: $status) {\n      members { loyaltyNumber firstName lastName email phone status enrolledAt }\n      nextPageToken\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PartnersScreen($program: String!, $status: String) {\n    partners(program: $program, status: $status) { code name status segmentCode locations { code name } contacts { name email } }\n    partnerSegments(program: $program) { code name partnerCodes }\n    rateCards(program: $program) { id partnerCode segmentCode campaignCode validFrom validTo issueRate redeemRate currency }\n  }\n"): (typeof documents)["\n  query PartnersScreen($program: String!, $status: String) {\n    partners(program: $program, status: $status) { code name status segmentCode locations { code name } contacts { name email } }\n    partnerSegments(program: $program) { code name partnerCodes }\n    rateCards(program: $program) { id partnerCode segmentCode campaignCode validFrom validTo issueRate redeemRate currency }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreatePartnerScreen($input: CreatePartnerInput!) { createPartner(input: $input) { code } }\n"): (typeof documents)["\n  mutation CreatePartnerScreen($input: CreatePartnerInput!) { createPartner(input: $input) { code } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdatePartnerStatus($input: UpdatePartnerInput!) { updatePartner(input: $input) { code status } }\n"): (typeof documents)["\n  mutation UpdatePartnerStatus($input: UpdatePartnerInput!) { updatePartner(input: $input) { code status } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateRateCardScreen($input: CreateRateCardInput!) { createRateCard(input: $input) { id } }\n"): (typeof documents)["\n  mutation CreateRateCardScreen($input: CreateRateCardInput!) { createRateCard(input: $input) { id } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReportLiability($program: String!) { pointsLiability(program: $program) { rows { expiryMonth points } totalPoints } }\n"): (typeof documents)["\n  query ReportLiability($program: String!) { pointsLiability(program: $program) { rows { expiryMonth points } totalPoints } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReportBreakage($program: String!, $from: String, $to: String, $period: String!) {\n    pointsBreakage(program: $program, from: $from, to: $to, period: $period) { rows { period pointsIssued pointsExpired } }\n  }\n"): (typeof documents)["\n  query ReportBreakage($program: String!, $from: String, $to: String, $period: String!) {\n    pointsBreakage(program: $program, from: $from, to: $to, period: $period) { rows { period pointsIssued pointsExpired } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReportRewards($program: String!, $from: String!, $to: String!, $period: String!) {\n    rewardsReport(program: $program, from: $from, to: $to, period: $period) {\n      rows { period rewardCode redemptions settled pointsBurned } totalRedemptions totalPointsBurned openHolds openHoldPoints\n    }\n  }\n"): (typeof documents)["\n  query ReportRewards($program: String!, $from: String!, $to: String!, $period: String!) {\n    rewardsReport(program: $program, from: $from, to: $to, period: $period) {\n      rows { period rewardCode redemptions settled pointsBurned } totalRedemptions totalPointsBurned openHolds openHoldPoints\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReportTierMovement($program: String!, $slab: String!, $from: String!, $to: String!, $period: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to, period: $period) {\n      tiers { tierCode members spend } periods { period upgrades downgrades }\n    }\n    tierSlabs(program: $program) { code name }\n  }\n"): (typeof documents)["\n  query ReportTierMovement($program: String!, $slab: String!, $from: String!, $to: String!, $period: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to, period: $period) {\n      tiers { tierCode members spend } periods { period upgrades downgrades }\n    }\n    tierSlabs(program: $program) { code name }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ReportSlabs($program: String!) { tierSlabs(program: $program) { code name } }"): (typeof documents)["query ReportSlabs($program: String!) { tierSlabs(program: $program) { code name } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReportPartnerBilling($program: String!, $month: String!) {\n    partnerStatements(program: $program, period: $month) {\n      period status\n      statements { partnerCode partnerName status currency invoiceNumber totals { issuedPoints issuedValue redeemedPoints redeemedValue correctionValue netValue lineCount } }\n    }\n    partnerInvoices(program: $program, period: $month) { number partnerCode period amountDue currency issuedAt csvUrl pdfUrl }\n  }\n"): (typeof documents)["\n  query ReportPartnerBilling($program: String!, $month: String!) {\n    partnerStatements(program: $program, period: $month) {\n      period status\n      statements { partnerCode partnerName status currency invoiceNumber totals { issuedPoints issuedValue redeemedPoints redeemedValue correctionValue netValue lineCount } }\n    }\n    partnerInvoices(program: $program, period: $month) { number partnerCode period amountDue currency issuedAt csvUrl pdfUrl }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClosePartnerPeriod($input: ClosePeriodInput!) { closeBillingPeriod(input: $input) { period closedNow invoices { number } } }\n"): (typeof documents)["\n  mutation ClosePartnerPeriod($input: ClosePeriodInput!) { closeBillingPeriod(input: $input) { period closedNow invoices { number } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ReportCampaigns($program: String!) { campaigns(program: $program) { code name } }"): (typeof documents)["query ReportCampaigns($program: String!) { campaigns(program: $program) { code name } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReportCampaign($program: String!, $code: String!) {\n    campaignReport(program: $program, code: $code) { code pointsIssued membersReached transactions budgetTotal budgetLeft }\n  }\n"): (typeof documents)["\n  query ReportCampaign($program: String!, $code: String!) {\n    campaignReport(program: $program, code: $code) { code pointsIssued membersReached transactions budgetTotal budgetLeft }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RewardsCatalogue($program: String!, $type: String, $includeInactive: Boolean!) {\n    rewards(program: $program, type: $type, includeInactive: $includeInactive) {\n      id code name description imageUrl type kind pointsCost value plu partnerCode validFrom validUntil stock\n      perMemberLimit tierCodes segmentCodes clubCodes locationCodes issuesVoucher active claimed\n    }\n  }\n"): (typeof documents)["\n  query RewardsCatalogue($program: String!, $type: String, $includeInactive: Boolean!) {\n    rewards(program: $program, type: $type, includeInactive: $includeInactive) {\n      id code name description imageUrl type kind pointsCost value plu partnerCode validFrom validUntil stock\n      perMemberLimit tierCodes segmentCodes clubCodes locationCodes issuesVoucher active claimed\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateReward($input: RewardInput!) { createReward(input: $input) { id code active } }"): (typeof documents)["mutation CreateReward($input: RewardInput!) { createReward(input: $input) { id code active } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateReward($input: RewardInput!) { updateReward(input: $input) { id code active } }"): (typeof documents)["mutation UpdateReward($input: RewardInput!) { updateReward(input: $input) { id code active } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RuleEditorData($program: String!) {\n    ruleVocabulary(program: $program) {\n      variables { name type label description values }\n      itemFields { name type label description values }\n      operators { name label types }\n      ruleTypes modes\n      actionFields { ruleType name type choices }\n    }\n  }\n"): (typeof documents)["\n  query RuleEditorData($program: String!) {\n    ruleVocabulary(program: $program) {\n      variables { name type label description values }\n      itemFields { name type label description values }\n      operators { name label types }\n      ruleTypes modes\n      actionFields { ruleType name type choices }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RuleSetForEditor($program: String!, $code: String!) {\n    ruleSet(program: $program, code: $code) {\n      code name scope scopeRef publishedVersion draftVersion draftRules publishedRules\n      versions { version status createdAt publishedAt publishedBy rules }\n    }\n  }\n"): (typeof documents)["\n  query RuleSetForEditor($program: String!, $code: String!) {\n    ruleSet(program: $program, code: $code) {\n      code name scope scopeRef publishedVersion draftVersion draftRules publishedRules\n      versions { version status createdAt publishedAt publishedBy rules }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ValidateDraft($program: String!, $rules: JSON!) {\n    validateRules(program: $program, rules: $rules) { valid problems { rule field message } }\n  }\n"): (typeof documents)["\n  query ValidateDraft($program: String!, $rules: JSON!) {\n    validateRules(program: $program, rules: $rules) { valid problems { rule field message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DryRunDraft($input: DryRunEarnInput!) {\n    dryRunEarn(input: $input) {\n      points publishedPoints\n      breakdown { rule ruleVersion points description }\n      publishedBreakdown { rule ruleVersion points description }\n    }\n  }\n"): (typeof documents)["\n  query DryRunDraft($input: DryRunEarnInput!) {\n    dryRunEarn(input: $input) {\n      points publishedPoints\n      breakdown { rule ruleVersion points description }\n      publishedBreakdown { rule ruleVersion points description }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReplayDraft($program: String!, $code: String!, $days: Int!) {\n    replayDraft(program: $program, ruleSetCode: $code, days: $days) {\n      transactions publishedPoints draftPoints pointsDifference membersAffected truncated\n    }\n  }\n"): (typeof documents)["\n  query ReplayDraft($program: String!, $code: String!, $days: Int!) {\n    replayDraft(program: $program, ruleSetCode: $code, days: $days) {\n      transactions publishedPoints draftPoints pointsDifference membersAffected truncated\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SaveRuleSetDraft($input: SaveRuleSetInput!) { saveRuleSet(input: $input) { code draftVersion } }\n"): (typeof documents)["\n  mutation SaveRuleSetDraft($input: SaveRuleSetInput!) { saveRuleSet(input: $input) { code draftVersion } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PublishRuleSet($program: String!, $code: String!, $draftVersion: Int) {\n    publishRuleSet(program: $program, code: $code, draftVersion: $draftVersion) { code publishedVersion }\n  }\n"): (typeof documents)["\n  mutation PublishRuleSet($program: String!, $code: String!, $draftVersion: Int) {\n    publishRuleSet(program: $program, code: $code, draftVersion: $draftVersion) { code publishedVersion }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RuleSets($program: String!) {\n    ruleSets(program: $program) { code name scope scopeRef publishedVersion draftVersion archived }\n  }\n"): (typeof documents)["\n  query RuleSets($program: String!) {\n    ruleSets(program: $program) { code name scope scopeRef publishedVersion draftVersion archived }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Segments($program: String!) { segments(program: $program) { code name kind rule memberCount refreshedAt unknownLoyaltyNumbers } }\n"): (typeof documents)["\n  query Segments($program: String!) { segments(program: $program) { code name kind rule memberCount refreshedAt unknownLoyaltyNumbers } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SegmentPreview($program: String!, $rule: JSON!) { segmentPreview(program: $program, rule: $rule, sampleSize: 10) { memberCount sampleLoyaltyNumbers } }\n"): (typeof documents)["\n  query SegmentPreview($program: String!, $rule: JSON!) { segmentPreview(program: $program, rule: $rule, sampleSize: 10) { memberCount sampleLoyaltyNumbers } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SaveSegment($input: SaveSegmentInput!) { saveSegment(input: $input) { code memberCount unknownLoyaltyNumbers } }\n"): (typeof documents)["\n  mutation SaveSegment($input: SaveSegmentInput!) { saveSegment(input: $input) { code memberCount unknownLoyaltyNumbers } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProgramSettings($program: String!) {\n    program(program: $program) { code name currency timezone expiryDays expiryRoundToMonthEnd archived }\n    programLimits(program: $program) { goodwillLimit }\n  }\n"): (typeof documents)["\n  query ProgramSettings($program: String!) {\n    program(program: $program) { code name currency timezone expiryDays expiryRoundToMonthEnd archived }\n    programLimits(program: $program) { goodwillLimit }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateProgramSettings($input: UpdateProgramInput!) { updateProgram(input: $input) { code name timezone expiryDays expiryRoundToMonthEnd } }\n"): (typeof documents)["\n  mutation UpdateProgramSettings($input: UpdateProgramInput!) { updateProgram(input: $input) { code name timezone expiryDays expiryRoundToMonthEnd } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MemberSettingsScreen($program: String!) { memberSettings(program: $program) { welcomeEnabled welcomeSubject welcomeBody customAttributesSchema } }\n"): (typeof documents)["\n  query MemberSettingsScreen($program: String!) { memberSettings(program: $program) { welcomeEnabled welcomeSubject welcomeBody customAttributesSchema } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateMemberSettingsScreen($input: UpdateMemberSettingsInput!) { updateMemberSettings(input: $input) { welcomeEnabled welcomeSubject welcomeBody } }\n"): (typeof documents)["\n  mutation UpdateMemberSettingsScreen($input: UpdateMemberSettingsInput!) { updateMemberSettings(input: $input) { welcomeEnabled welcomeSubject welcomeBody } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PlatformPrograms($archived: Boolean!) { programs(includeArchived: $archived) { code name currency timezone expiryDays archived } }\n"): (typeof documents)["\n  query PlatformPrograms($archived: Boolean!) { programs(includeArchived: $archived) { code name currency timezone expiryDays archived } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TierSlabs($program: String!) {\n    tierSlabs(program: $program) {\n      code name metric windowLength windowUnit downgrade graceDays closeToUpgradePercent\n      tiers { level code name benefits earnMultiplier threshold retentionThreshold validityMonths }\n    }\n  }\n"): (typeof documents)["\n  query TierSlabs($program: String!) {\n    tierSlabs(program: $program) {\n      code name metric windowLength windowUnit downgrade graceDays closeToUpgradePercent\n      tiers { level code name benefits earnMultiplier threshold retentionThreshold validityMonths }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TierReportScreen($program: String!, $slab: String!, $from: String!, $to: String!, $period: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to, period: $period) {\n      slabCode tiers { tierCode members spend } periods { period upgrades downgrades }\n    }\n  }\n"): (typeof documents)["\n  query TierReportScreen($program: String!, $slab: String!, $from: String!, $to: String!, $period: String!) {\n    tierReport(program: $program, slabCode: $slab, from: $from, to: $to, period: $period) {\n      slabCode tiers { tierCode members spend } periods { period upgrades downgrades }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DefineTierSlab($input: DefineTierSlabInput!) { defineTierSlab(input: $input) { code } }"): (typeof documents)["mutation DefineTierSlab($input: DefineTierSlabInput!) { defineTierSlab(input: $input) { code } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProgramTransactions($program: String!, $kinds: [String!], $from: String, $to: String, $first: Int!, $after: String) {\n    programTransactions(program: $program, kinds: $kinds, from: $from, to: $to, first: $first, after: $after) {\n      items { id kind reference points occurredAt status amount currency loyaltyNumber orderReference locationCode reason }\n      nextCursor\n    }\n  }\n"): (typeof documents)["\n  query ProgramTransactions($program: String!, $kinds: [String!], $from: String, $to: String, $first: Int!, $after: String) {\n    programTransactions(program: $program, kinds: $kinds, from: $from, to: $to, first: $first, after: $after) {\n      items { id kind reference points occurredAt status amount currency loyaltyNumber orderReference locationCode reason }\n      nextCursor\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProgramUsers($program: String!) {\n    users(program: $program) { id email displayName status totpEnabled lastSignInAt roles { program role store } }\n    roles(program: $program) { code name builtin }\n  }\n"): (typeof documents)["\n  query ProgramUsers($program: String!) {\n    users(program: $program) { id email displayName status totpEnabled lastSignInAt roles { program role store } }\n    roles(program: $program) { code name builtin }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation InviteUser($input: InviteUserInput!) { inviteUser(input: $input) { userId expiresAt } }\n"): (typeof documents)["\n  mutation InviteUser($input: InviteUserInput!) { inviteUser(input: $input) { userId expiresAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AssignRole($input: RoleAssignmentInput!) { assignRole(input: $input) { id roles { program role store } } }\n"): (typeof documents)["\n  mutation AssignRole($input: RoleAssignmentInput!) { assignRole(input: $input) { id roles { program role store } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveRole($input: RoleAssignmentInput!) { removeRole(input: $input) { id roles { program role store } } }\n"): (typeof documents)["\n  mutation RemoveRole($input: RoleAssignmentInput!) { removeRole(input: $input) { id roles { program role store } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeactivateUser($input: DeactivateUserInput!) { deactivateUser(input: $input) { id status } }\n"): (typeof documents)["\n  mutation DeactivateUser($input: DeactivateUserInput!) { deactivateUser(input: $input) { id status } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Member360($program: String!, $number: String!) {\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber firstName lastName email phone status mergedInto\n      points { availablePoints pendingPoints onHoldPoints lifetimeEarned usedPoints expiredPoints nextExpiringPoints nextExpiryDate }\n      tiers { slabCode tierCode tierName level achievedAt }\n    }\n    tierProgress(program: $program, loyaltyNumber: $number) {\n      slabCode tierCode metric currentValue nextTierCode nextThreshold needed closeToUpgrade\n    }\n  }\n"): (typeof documents)["\n  query Member360($program: String!, $number: String!) {\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber firstName lastName email phone status mergedInto\n      points { availablePoints pendingPoints onHoldPoints lifetimeEarned usedPoints expiredPoints nextExpiringPoints nextExpiryDate }\n      tiers { slabCode tierCode tierName level achievedAt }\n    }\n    tierProgress(program: $program, loyaltyNumber: $number) {\n      slabCode tierCode metric currentValue nextTierCode nextThreshold needed closeToUpgrade\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Member360Ledger($program: String!, $number: String!, $after: String, $closed: Boolean!) {\n    pointsHistory(program: $program, loyaltyNumber: $number, first: 25, after: $after) {\n      items { id kind reference points occurredAt status reason amount currency orderReference counterpartyLoyaltyNumber }\n      nextCursor\n    }\n    memberLots(program: $program, loyaltyNumber: $number, includeClosed: $closed) {\n      id kind reference points remaining earnedAt expiresAt\n    }\n  }\n"): (typeof documents)["\n  query Member360Ledger($program: String!, $number: String!, $after: String, $closed: Boolean!) {\n    pointsHistory(program: $program, loyaltyNumber: $number, first: 25, after: $after) {\n      items { id kind reference points occurredAt status reason amount currency orderReference counterpartyLoyaltyNumber }\n      nextCursor\n    }\n    memberLots(program: $program, loyaltyNumber: $number, includeClosed: $closed) {\n      id kind reference points remaining earnedAt expiresAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyPoints {\n    me {\n      member {\n        loyaltyNumber program\n        profile {\n          firstName lastName email\n          points { availablePoints pendingPoints onHoldPoints lifetimeEarned nextExpiringPoints nextExpiryDate }\n          tiers { slabCode tierName }\n          recentActivity { id kind reference points occurredAt status amount currency }\n        }\n        tierProgress { slabCode tierCode nextTierCode currentValue nextThreshold needed metric closeToUpgrade }\n        claimableRewards { availablePoints available { reward { code name description } pointsNeeded } next { reward { code name } pointsNeeded } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyPoints {\n    me {\n      member {\n        loyaltyNumber program\n        profile {\n          firstName lastName email\n          points { availablePoints pendingPoints onHoldPoints lifetimeEarned nextExpiringPoints nextExpiryDate }\n          tiers { slabCode tierName }\n          recentActivity { id kind reference points occurredAt status amount currency }\n        }\n        tierProgress { slabCode tierCode nextTierCode currentValue nextThreshold needed metric closeToUpgrade }\n        claimableRewards { availablePoints available { reward { code name description } pointsNeeded } next { reward { code name } pointsNeeded } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ExportMyData { exportMyData }"): (typeof documents)["mutation ExportMyData { exportMyData }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PortalRequestPasscode($input: RequestMemberPasscodeInput!) { requestMemberPasscode(input: $input) }\n"): (typeof documents)["\n  mutation PortalRequestPasscode($input: RequestMemberPasscodeInput!) { requestMemberPasscode(input: $input) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PortalSignIn($input: MemberSignInInput!) { memberSignIn(input: $input) { accessToken refreshToken expiresAt } }\n"): (typeof documents)["\n  mutation PortalSignIn($input: MemberSignInInput!) { memberSignIn(input: $input) { accessToken refreshToken expiresAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TillEnroll($input: EnrollInput!) { enroll(input: $input) { member { loyaltyNumber } } }\n"): (typeof documents)["\n  mutation TillEnroll($input: EnrollInput!) { enroll(input: $input) { member { loyaltyNumber } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TillSearch($program: String!, $query: String!, $field: String) {\n    searchMembers(program: $program, query: $query, field: $field, first: 10) {\n      members { loyaltyNumber firstName lastName email phone status }\n    }\n  }\n"): (typeof documents)["\n  query TillSearch($program: String!, $query: String!, $field: String) {\n    searchMembers(program: $program, query: $query, field: $field, first: 10) {\n      members { loyaltyNumber firstName lastName email phone status }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TillMember($program: String!, $number: String!) {\n    program(program: $program) { currency }\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber firstName lastName status\n      points { availablePoints pendingPoints onHoldPoints nextExpiringPoints nextExpiryDate }\n      tiers { slabCode tierName }\n    }\n  }\n"): (typeof documents)["\n  query TillMember($program: String!, $number: String!) {\n    program(program: $program) { currency }\n    member(program: $program, loyaltyNumber: $number) {\n      loyaltyNumber firstName lastName status\n      points { availablePoints pendingPoints onHoldPoints nextExpiringPoints nextExpiryDate }\n      tiers { slabCode tierName }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TillEarn($input: EarnInput!) {\n    earn(input: $input) { transactionId oldBalance pointsEarned newBalance pending breakdown { rule points description } }\n  }\n"): (typeof documents)["\n  mutation TillEarn($input: EarnInput!) {\n    earn(input: $input) { transactionId oldBalance pointsEarned newBalance pending breakdown { rule points description } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TillQuote($input: DiscountQuoteInput!) {\n    quoteDiscounts(input: $input) { grossAmount discountTotal netAmount lines { rule amount description } }\n  }\n"): (typeof documents)["\n  query TillQuote($input: DiscountQuoteInput!) {\n    quoteDiscounts(input: $input) { grossAmount discountTotal netAmount lines { rule amount description } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TillRequestOtp($input: RequestOtpInput!) { requestOtp(input: $input) { destination expiresAt } }\n"): (typeof documents)["\n  mutation TillRequestOtp($input: RequestOtpInput!) { requestOtp(input: $input) { destination expiresAt } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TillRedeem($input: RedeemInput!) { redeem(input: $input) { transactionId points newBalance } }\n"): (typeof documents)["\n  mutation TillRedeem($input: RedeemInput!) { redeem(input: $input) { transactionId points newBalance } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TillVoid($input: VoidInput!) { void(input: $input) { transactionId points newBalance } }\n"): (typeof documents)["\n  mutation TillVoid($input: VoidInput!) { void(input: $input) { transactionId points newBalance } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TillVoidOrder($input: VoidOrderInput!) { voidOrder(input: $input) { newBalance claims { rewardCode status } } }\n"): (typeof documents)["\n  mutation TillVoidOrder($input: VoidOrderInput!) { voidOrder(input: $input) { newBalance claims { rewardCode status } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TillGoodwill($input: GoodwillInput!) { goodwill(input: $input) { transactionId points newBalance } }\n"): (typeof documents)["\n  mutation TillGoodwill($input: GoodwillInput!) { goodwill(input: $input) { transactionId points newBalance } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TillRetroClaim($input: RetroClaimInput!) { retroClaim(input: $input) { pointsEarned newBalance breakdown { rule points description } } }\n"): (typeof documents)["\n  mutation TillRetroClaim($input: RetroClaimInput!) { retroClaim(input: $input) { pointsEarned newBalance breakdown { rule points description } } }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;