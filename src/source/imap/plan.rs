//! What an IMAP pass fetches, decided without the server: which UIDs wait,
//! which of them come whole and which as their head only, within the
//! batch's count and byte bounds. Pure, so it is tested as a table.

use crate::source::OVERSIZED_HEAD_BYTES;

/// The mails of one batch, oldest first in each list.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Plan {
    /// Fetched with `BODY.PEEK[]`.
    pub whole: Vec<u32>,
    /// Over `limits.max_message_bytes`: only `BODY.PEEK[]<0.65536>`, with
    /// the size the server reported.
    pub heads: Vec<(u32, u64)>,
}

/// Bounds of one batch.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bounds {
    pub max_message_bytes: u64,
    pub batch_size: usize,
    pub batch_bytes: u64,
}

/// Splits `sizes` (UID, RFC822.SIZE), sorted by UID, into one batch. The
/// batch stops before the first mail that would pass `batch_bytes`, so that
/// arrival order is kept; a single mail over it still goes alone.
pub(super) fn plan(sizes: &[(u32, u64)], bounds: Bounds) -> Plan {
    let mut plan = Plan::default();
    let mut bytes = 0u64;
    for &(uid, size) in sizes {
        if plan.whole.len() + plan.heads.len() >= bounds.batch_size {
            break;
        }
        if size > bounds.max_message_bytes {
            plan.heads.push((uid, size));
            bytes += OVERSIZED_HEAD_BYTES as u64;
            continue;
        }
        let taken = plan.whole.len() + plan.heads.len();
        if taken > 0 && bytes + size > bounds.batch_bytes {
            break;
        }
        plan.whole.push(uid);
        bytes += size;
    }
    plan
}

/// The UIDs waiting in a folder tracked by UID: those after `last` (the
/// highest recorded), and the unread ones below it (a mail left for a retry,
/// or one whose \Seen flag was lost in a crash). `after` is the answer to
/// `UID SEARCH UID last+1:*`, which always holds the folder's highest UID
/// even when that is not above `last`: it is filtered out here.
pub(super) fn waiting(
    after: impl IntoIterator<Item = u32>,
    last: u32,
    unseen: impl IntoIterator<Item = u32>,
) -> Vec<u32> {
    let mut uids: Vec<u32> = after.into_iter().filter(|&uid| uid > last).chain(unseen).collect();
    uids.sort_unstable();
    uids.dedup();
    uids
}

/// `1,2,3,7,9,10` as `1:3,7,9:10`: short commands for large batches.
pub(super) fn uid_set(uids: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}:{end}") });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: u64 = OVERSIZED_HEAD_BYTES as u64;

    #[test]
    fn uid_sets_are_compressed_into_ranges() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
    }

    #[test]
    fn batches_are_planned_within_their_bounds() {
        let bounds = Bounds { max_message_bytes: 1_000_000, batch_size: 3, batch_bytes: 500_000 };
        type Case<'a> = (&'a str, &'a [(u32, u64)], Plan);
        let cases: &[Case] = &[
            (
                "small mails up to the count",
                &[(1, 10), (2, 10), (3, 10), (4, 10)],
                Plan { whole: vec![1, 2, 3], heads: vec![] },
            ),
            (
                "stops before the mail that passes the byte bound",
                &[(1, 300_000), (2, 300_000), (3, 10)],
                Plan { whole: vec![1], heads: vec![] },
            ),
            ("a mail over the byte bound goes alone", &[(1, 900_000), (2, 10)], Plan { whole: vec![1], heads: vec![] }),
            (
                "an over-limit mail is planned as its head",
                &[(1, 10), (2, 5_000_000), (3, 10)],
                Plan { whole: vec![1, 3], heads: vec![(2, 5_000_000)] },
            ),
            (
                "over-limit mails alone are heads only",
                &[(7, 2_000_000)],
                Plan { whole: vec![], heads: vec![(7, 2_000_000)] },
            ),
        ];
        for (what, sizes, expected) in cases {
            assert_eq!(&plan(sizes, bounds), expected, "{what}");
        }
    }

    #[test]
    fn heads_count_against_the_byte_bound() {
        let bounds = Bounds { max_message_bytes: 1_000, batch_size: 10, batch_bytes: HEAD + 100 };
        let planned = plan(&[(1, 5_000), (2, 200)], bounds);
        assert_eq!(planned, Plan { whole: vec![], heads: vec![(1, 5_000)] });
    }

    #[test]
    fn waiting_uids_are_those_after_the_last_recorded_and_the_unread_below() {
        assert_eq!(waiting([5, 6, 7], 4, []), [5, 6, 7]);
        assert_eq!(waiting([4], 4, []), Vec::<u32>::new(), "`5:*` answers the highest UID, 4, which is done");
        assert_eq!(waiting([9], 8, [3, 9]), [3, 9], "a mail left unread below the mark is still taken");
    }
}
