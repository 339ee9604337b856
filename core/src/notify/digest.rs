//! Storm control: many alerts opening at once (a switch dies, a whole rack
//! goes offline) become one digest message instead of a wall of posts. Pure:
//! the worker hands in a channel's due rows and sends what comes back.

use super::EventKind;

/// When a group of `opened` events becomes a digest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DigestRule {
    /// At least this many `opened` events ...
    pub min_events: usize,
    /// ... created within this span (ms) of each other.
    pub window_ms: i64,
}

impl Default for DigestRule {
    /// Five or more alerts opened within a minute.
    fn default() -> Self {
        Self {
            min_events: 5,
            window_ms: 60_000,
        }
    }
}

/// One send: indices into the rows handed to [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub rows: Vec<usize>,
    pub digest: bool,
}

/// Group a channel's pending rows (`(kind, created_at)`, in outbox order)
/// into sends. Opened events are clustered by creation time: any run of at
/// least `min_events` of them within `window_ms` goes as one digest, placed
/// where its first row was; everything else goes singly, in order. Timing is
/// by creation, not by now, so a storm that waited out a restart or an
/// outage is still one digest.
pub fn plan(rows: &[(EventKind, i64)], rule: &DigestRule, digests: bool) -> Vec<Batch> {
    let mut digest_of: Vec<Option<usize>> = vec![None; rows.len()];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    if digests && rule.min_events > 0 {
        let mut opened: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].0 == EventKind::Opened)
            .collect();
        opened.sort_by_key(|&i| (rows[i].1, i));
        let mut start = 0;
        while start < opened.len() {
            let t0 = rows[opened[start]].1;
            let end = opened[start..]
                .iter()
                .position(|&i| rows[i].1 - t0 > rule.window_ms)
                .map_or(opened.len(), |p| start + p);
            if end - start >= rule.min_events {
                let mut members = opened[start..end].to_vec();
                members.sort_unstable();
                for &i in &members {
                    digest_of[i] = Some(groups.len());
                }
                groups.push(members);
                start = end;
            } else {
                start += 1;
            }
        }
    }
    let mut batches = Vec::new();
    for (i, group) in digest_of.iter().enumerate() {
        match group {
            None => batches.push(Batch {
                rows: vec![i],
                digest: false,
            }),
            Some(g) if groups[*g][0] == i => batches.push(Batch {
                rows: groups[*g].clone(),
                digest: true,
            }),
            Some(_) => {}
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::*;

    fn singles(b: &[Batch]) -> Vec<usize> {
        b.iter().filter(|b| !b.digest).map(|b| b.rows[0]).collect()
    }

    #[test]
    fn five_opened_within_a_minute_become_one_digest() {
        let rows = [
            (Resolved, 0),
            (Opened, 1_000),
            (Opened, 1_100),
            (Escalated, 1_150),
            (Opened, 1_200),
            (Opened, 30_000),
            (Opened, 61_000),
            (Opened, 200_000),
        ];
        let b = plan(&rows, &DigestRule::default(), true);
        assert_eq!(
            b,
            vec![
                Batch {
                    rows: vec![0],
                    digest: false
                },
                Batch {
                    rows: vec![1, 2, 4, 5, 6],
                    digest: true
                },
                Batch {
                    rows: vec![3],
                    digest: false
                },
                Batch {
                    rows: vec![7],
                    digest: false
                },
            ]
        );
    }

    #[test]
    fn four_are_not_a_storm_and_the_window_slides() {
        let four = [(Opened, 0), (Opened, 1), (Opened, 2), (Opened, 3)];
        assert_eq!(
            singles(&plan(&four, &DigestRule::default(), true)),
            [0, 1, 2, 3]
        );
        // The first is alone; the next five are within a minute of each other.
        let rows = [
            (Opened, 0),
            (Opened, 50_000),
            (Opened, 61_000),
            (Opened, 62_000),
            (Opened, 63_000),
            (Opened, 64_000),
        ];
        let b = plan(&rows, &DigestRule::default(), true);
        assert_eq!(
            b[0],
            Batch {
                rows: vec![0],
                digest: false
            }
        );
        assert_eq!(
            b[1],
            Batch {
                rows: vec![1, 2, 3, 4, 5],
                digest: true
            }
        );
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn two_storms_two_digests_and_machines_get_every_event() {
        let mut rows: Vec<(EventKind, i64)> = (0..5).map(|i| (Opened, i)).collect();
        rows.extend((0..6).map(|i| (Opened, 600_000 + i)));
        let b = plan(&rows, &DigestRule::default(), true);
        assert_eq!(b.len(), 2);
        assert!(b.iter().all(|b| b.digest));
        assert_eq!(b[1].rows.len(), 6);
        let b = plan(&rows, &DigestRule::default(), false);
        assert_eq!(singles(&b), (0..11).collect::<Vec<_>>());
    }
}
