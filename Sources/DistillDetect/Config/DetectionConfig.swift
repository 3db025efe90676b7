// Every tunable of linkage, clustering, low-volume attachment and scoring, in one place, each
// with its meaning and unit. `summary.json` prints the whole value under `detection.config`, so
// a run's figures can always be read beside the settings that produced them.

/// Settings of stages 5–7 (linkage, clustering, scoring). Shares are in 0–1.
public struct DetectionConfig: Codable, Sendable, Equatable {
    // MARK: Reporting

    /// Expected number of benign clusters reported per run: the one parameter that sets the
    /// reporting line. Each family's significance level α is derived from it and from the
    /// number of candidate clusters (see `ClusterScoring.familyLevel`).
    public var maxFalseClusters = 0.01
    /// Independent evidence families that must be significant at α for a cluster to be
    /// reported. (Vocabulary similarity, which linkage selects clusters on, is not among the
    /// tests: content is tested on rarity-weighted template sharing.)
    public var requiredFamilies = 2
    /// When set, a cluster is reported when its score (0–1) reaches it, instead of by the
    /// family rule (score 0.5 is the family rule's line). For scripts of earlier versions.
    public var threshold: Double?
    /// Smallest cluster reported (accounts).
    public var minClusterSize = 5

    // MARK: Null model

    /// Random groups drawn per cluster for each family's null distribution. Each member of a
    /// cluster is matched by an account of the same volume octave (exchanges 1, 2–3, 4–7, ...).
    public var nullSamples = 200
    /// Seed of the null model's random groups: same seed and input, same outputs.
    public var seed: UInt64 = 0x5EED
    /// A cluster larger than this is measured on an evenly spaced subsample of its members
    /// (and its null groups have the same size): the statistics are shares, so a subsample
    /// estimates them, at a cost independent of cluster size.
    public var maxMeasuredMembers = 256
    /// Member pairs sampled for pairwise statistics (vocabulary, synchrony).
    public var pairSamples = 256
    /// Two accounts created within this many hours of each other count as created together.
    public var creationWindowHours = 24.0
    /// A model first seen in the run at least this many hours after the run began is a release
    /// of the run; an account that takes it up within this many hours of its first appearance
    /// pivoted to it (timing family, `ModelPivot`).
    public var pivotWindowHours = 24.0

    // MARK: Exculpation

    /// Share of members in one organisation at and above which a cluster is one customer
    /// acting openly, never a campaign against itself.
    public var maxOrgShare = 0.5
    /// Distinct prompt templates a cluster must use in all to be systematic extraction rather
    /// than many people copying the same few prompts (a class, a popular question).
    public var minDistinctTemplates = 30

    /// Share of members behind one single IP address at and above which a cluster is one
    /// site (a campus or office NAT, a household), provided its members use few addresses in
    /// all (at most `siteAddressesPerAccount` per account) or share few of their other
    /// addresses among themselves (at most `siteSharedAddressesPerAccount` per account, counting
    /// addresses two or more members use): people at one place, openly, who otherwise each have
    /// their own home and phone. A campaign spreads its accounts over many addresses to look
    /// unrelated, and its accounts share their pool's exits among themselves.
    public var maxSiteShare = 0.5
    public var siteAddressesPerAccount = 2.0
    public var siteSharedAddressesPerAccount = 0.5

    // MARK: Linkage

    /// Accounts with fewer prompts are not linked by content (their vocabulary says too little).
    public var minPrompts = 8
    /// Non-empty vocabulary-sketch bins an account needs for content linkage (about the number
    /// of distinct word bigrams, up to 128).
    public var minVocabularyBins = 48
    /// Rarity-weighted vocabulary similarity (0–1) that links two accounts: agreeing sketch
    /// bins count by the inverse population frequency of their value, so phrases that many
    /// accounts share ("step by step", greetings) link nobody.
    public var contentThreshold = 0.3
    /// Lower content similarity that still links two accounts sharing a payment fingerprint.
    public var sharedPaymentContentThreshold = 0.12
    /// Cosine similarity of two accounts' capability profiles (topic shares and the
    /// chain-of-thought share) needed for a content link: a campaign's accounts send the
    /// same mix; a heavy ordinary user whose phrasing overlaps theirs does not.
    public var minProfileSimilarity = 0.85
    /// LSH bands × rows over the 128 vocabulary bins: a pair with (unweighted) similarity s
    /// shares a band with probability 1 − (1 − s⁵)²⁵ (0.54 at s = 0.4, 0.04 at s = 0.2).
    public var bands = 25
    public var rows = 5

    /// Peeling rounds for dense account × identifier blocks (`DenseBlocks`): each round sets
    /// aside the densest block of what is left; blocks of at least `minClusterSize` accounts that
    /// no content cluster already holds become candidates, linked by infrastructure.
    public var infrastructureRounds = 12
    /// Share of an account's shared networks that must be a block's for it to stay in the block.
    public var blockMinMemberShare = 0.25
    /// A block holding more than this share of the accounts that have networks is the
    /// population's address fabric, not a group, and is no candidate.
    public var maxBlockShare = 0.25

    // MARK: Synchrony linkage (SynchroTrap)

    /// Whether candidate clusters are also formed by synchrony of metadata actions
    /// (`SynchronyLinkage`): each account's (10-minute bucket, network) and (10-minute bucket,
    /// model · endpoint · user agent) items, compared by rarity-weighted Jaccard similarity.
    public var synchronyLinkage = true
    /// Width of the time buckets of the synchrony sketches, minutes. Fixed when account state
    /// is built (state files hold sketches of this width), printed here so figures read beside
    /// it. Why 10: orchestrated batches land within a minute or two of each other (the
    /// adversary suite's batches within 90 s, an enterprise cron within 40 s), so a 10-minute
    /// bucket holds a batch whole about 85% of the time, while a benign user active for an
    /// hour fills 6 buckets, not 1: hour buckets would make every pair of accounts that use
    /// the same model in the same busy hour look synchronized (6× the chance coincidences).
    public var synchronyBucketMinutes = Int(AccountState.synchronyBucketMs / 60_000)
    /// Rarity-weighted Jaccard similarity (0–1) of two accounts' action items of one kind
    /// (network items, or client items) that links them; the stronger kind counts.
    /// Items count by ln((n + 1) / holders). Two campaign accounts firing the same batches
    /// through one client (each present in ~80% of them) sit near 0.65 on client items, near 1
    /// on network items when on one subnet; two ordinary users near 0.
    public var synchronyThreshold = 0.5
    /// An action item (bucket, key) held by more than this share of the accounts with action
    /// sketches (and more than `synchronyMinItemCap` accounts) carries no weight: a busy hour of
    /// a popular model from a popular client is what hundreds of unrelated accounts do at once,
    /// and links nobody, however alike their sets (IDF alone cannot say so when two accounts'
    /// sets hold nothing else). A batch of a campaign on its own subnet or client is held by its
    /// few accounts per bucket.
    public var synchronyMaxItemShare = 0.02
    public var synchronyMinItemCap = 50
    /// Filled bins of one half of the action sketch (network items or client items; about the
    /// distinct items of that kind, up to 32) an account needs for synchrony linkage on it: a
    /// handful of actions coincide with someone's by chance.
    public var synchronyMinItems = 8
    /// LSH bands × rows over each half's 32 bins: a pair of (unweighted) similarity s shares a
    /// band with probability 1 − (1 − s⁴)⁸ (0.83 at s = 0.67, 0.40 at s = 0.5, 0.06 at s = 0.3).
    public var synchronyBands = 8
    public var synchronyRows = 4

    // MARK: Credential blocks and creation bursts

    /// Whether candidate clusters are also formed by dense blocks of shared credentials
    /// (`CredentialBlocks`): payment fingerprints, API keys, rare user agents and creation bursts,
    /// peeled as the network blocks are (`infrastructureRounds`, `blockMinMemberShare`,
    /// `maxBlockShare` apply alike).
    public var credentialBlocks = true
    /// A user agent sent by more than this share of the accounts (and more than
    /// `credentialAgentMinCap` accounts) is a popular client, not a shared identity: it is no
    /// identifier of the credential graph.
    public var credentialAgentMaxShare = 0.005
    public var credentialAgentMinCap = 20
    /// An hour in which k ≥ `creationBurstMinAccounts` accounts were created is a burst hour when
    /// P(Poisson(λ) ≥ k) is at most this, λ being the sign-ups per hour over the
    /// `creationBurstWindowDays` days either side (`CreationBursts`). The bar is far below any
    /// reporting level because it is met by every hour of a real burst: it decides edges, not
    /// reports.
    public var creationBurstLevel = 1e-6
    public var creationBurstMinAccounts = 3
    public var creationBurstWindowDays = 7

    /// Share of a candidate cluster's accounts that must hold a payment fingerprint or API key
    /// of a reported cluster for the two to count as one operator's, and merge. A few shared
    /// cards between a campaign and a community (a family, a reseller) merge nothing.
    /// A candidate with a significant family of its own besides infrastructure joins whole; one
    /// without gives only its accounts that hold those credentials (it may be a place the
    /// operator shares with ordinary users, such as a residential range its proxies rotate
    /// through).
    public var mergeMinCredentialShare = 0.25

    // MARK: Clustering

    /// Shared-neighbour support: a link is kept when its accounts share at least
    /// `supportMinCommon` linked neighbours and `supportMinShare` of the smaller degree − 1.
    public var supportMinCommon = 2
    public var supportMinShare = 0.3

    /// A reported cluster is split along the Louvain communities of its members' vocabulary
    /// similarity (`ContentCommunities`) when, for two communities, the mean similarity across
    /// them is at most the members' mean similarity with outsiders plus this share of the gap up
    /// to their mean similarity within: what they share lies nearer to what everyone shares than
    /// to what a community shares inside (as measured on the adversary suite: different
    /// campaigns on one proxy pool 0.13–0.20 of the gap, two teacher-template campaigns around
    /// the same corpus questions 0.46–0.49; one campaign varying its templates 0.63–0.74). Each
    /// part must still be reported on its own, or carry a significant family of its own.
    public var splitMaxSharedShare = 0.5

    // MARK: Low-volume attachment (WindowAttachment)

    /// A reported cluster's active day-hours must cover at most this share of its days' hours
    /// for its windows to say anything.
    public var attachMaxWindowCoverage = 0.5
    /// Profile cosine to the cluster's centroid a low-volume account needs.
    public var attachMinProfileSimilarity = 0.9
    /// Best vocabulary similarity to a sample of members a low-volume account needs.
    public var attachMinContent = 0.15
    /// Active hours a low-volume account needs (all inside the cluster's windows).
    public var attachMinActiveHours = 4

    /// Threads for verifying candidate pairs and attachment (not printed: outputs do not depend on it).
    public var threads = 2

    public init() {}

    /// The most accounts, of `accounts`, a user agent may be sent by and still be an identifier of
    /// the credential graph.
    public func credentialAgentCap(accounts: Int) -> Int {
        max(credentialAgentMinCap, Int((credentialAgentMaxShare * Double(accounts)).rounded(.up)))
    }

    /// The most accounts, of `acting` with action sketches, an action item may be held by and
    /// still weigh in synchrony linkage.
    public func synchronyItemCap(acting: Int) -> Int {
        max(synchronyMinItemCap, Int((synchronyMaxItemShare * Double(acting)).rounded(.up)))
    }

    enum CodingKeys: String, CodingKey {
        case maxFalseClusters = "max_false_clusters"
        case requiredFamilies = "required_families"
        case threshold
        case minClusterSize = "min_cluster_size"
        case nullSamples = "null_samples"
        case seed
        case maxMeasuredMembers = "max_measured_members"
        case pairSamples = "pair_samples"
        case creationWindowHours = "creation_window_hours"
        case pivotWindowHours = "pivot_window_hours"
        case maxOrgShare = "max_org_share"
        case minDistinctTemplates = "min_distinct_templates"
        case maxSiteShare = "max_site_share"
        case siteAddressesPerAccount = "site_addresses_per_account"
        case siteSharedAddressesPerAccount = "site_shared_addresses_per_account"
        case minPrompts = "min_prompts"
        case minVocabularyBins = "min_vocabulary_bins"
        case contentThreshold = "content_threshold"
        case sharedPaymentContentThreshold = "shared_payment_content_threshold"
        case minProfileSimilarity = "min_profile_similarity"
        case bands = "lsh_bands"
        case rows = "lsh_rows"
        case infrastructureRounds = "infrastructure_rounds"
        case blockMinMemberShare = "block_min_member_share"
        case maxBlockShare = "max_block_share"
        case mergeMinCredentialShare = "merge_min_credential_share"
        case credentialBlocks = "credential_blocks"
        case credentialAgentMaxShare = "credential_agent_max_share"
        case credentialAgentMinCap = "credential_agent_min_cap"
        case creationBurstLevel = "creation_burst_level"
        case creationBurstMinAccounts = "creation_burst_min_accounts"
        case creationBurstWindowDays = "creation_burst_window_days"
        case synchronyLinkage = "synchrony_linkage"
        case synchronyBucketMinutes = "synchrony_bucket_minutes"
        case synchronyThreshold = "synchrony_threshold"
        case synchronyMinItems = "synchrony_min_items"
        case synchronyMaxItemShare = "synchrony_max_item_share"
        case synchronyMinItemCap = "synchrony_min_item_cap"
        case synchronyBands = "synchrony_lsh_bands"
        case synchronyRows = "synchrony_lsh_rows"
        case supportMinCommon = "support_min_common"
        case supportMinShare = "support_min_share"
        case splitMaxSharedShare = "split_max_shared_share"
        case attachMaxWindowCoverage = "attach_max_window_coverage"
        case attachMinProfileSimilarity = "attach_min_profile_similarity"
        case attachMinContent = "attach_min_content"
        case attachMinActiveHours = "attach_min_active_hours"
    }
}
