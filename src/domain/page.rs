//! Cursor pagination as the store sees it: newest first, `starting_after` / `ending_before`.

/// Which way a page walks from its cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// The newest objects.
    Start,
    /// Objects older than this id (Stripe's `starting_after`).
    After(String),
    /// Objects newer than this id (Stripe's `ending_before`); still returned newest first.
    Before(String),
}

/// One page request: a validated limit (1–100) and a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Cursor,
}

/// One page of results, newest first, and whether more lie beyond it in the walk's direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub has_more: bool,
}

/// A `created` filter: an exact second or any of `gt`, `gte`, `lt`, `lte`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub gt: Option<i64>,
    pub gte: Option<i64>,
    pub lt: Option<i64>,
    pub lte: Option<i64>,
}

impl TimeRange {
    pub fn exactly(at: i64) -> Self {
        Self {
            gte: Some(at),
            lte: Some(at),
            ..Self::default()
        }
    }

    /// The range as one inclusive `[low, high]` pair, which every backend can bind.
    pub fn bounds(&self) -> (i64, i64) {
        let low = [self.gt.map(|v| v.saturating_add(1)), self.gte]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(i64::MIN);
        let high = [self.lt.map(|v| v.saturating_sub(1)), self.lte]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(i64::MAX);
        (low, high)
    }
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            has_more: self.has_more,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_bounds_combine_strict_and_inclusive_edges() {
        let r = TimeRange {
            gt: Some(10),
            gte: Some(5),
            lt: Some(20),
            lte: None,
        };
        assert_eq!(r.bounds(), (11, 19));
        assert_eq!(TimeRange::exactly(7).bounds(), (7, 7));
        assert_eq!(TimeRange::default().bounds(), (i64::MIN, i64::MAX));
    }
}
