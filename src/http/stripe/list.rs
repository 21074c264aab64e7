//! List endpoints: `limit`, `starting_after`, `ending_before` in, Stripe's list object out.

use axum::extract::{FromRequest, Request};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::params::lenient::Int;
use super::params::{from_tree, read_tree};
use crate::app_state::AppState;
use crate::domain::page::{Cursor, Page, PageRequest, TimeRange};
use crate::http::error::ApiError;
use crate::store::StoreError;

/// Stripe's default and maximum page sizes.
pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;

/// A list request: its filters `F`, the page asked for, and `expand[]`.
pub struct ListQuery<F> {
    pub filter: F,
    pub page: PageRequest,
    pub expand: Vec<String>,
}

impl<F: DeserializeOwned> FromRequest<AppState> for ListQuery<F> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut tree, expand) = read_tree(req, state.body_limit).await?;
        let page = take_page(&mut tree)?;
        let filter = from_tree(tree)?;
        Ok(Self { filter, page, expand })
    }
}

fn take_page(tree: &mut Map<String, Value>) -> Result<PageRequest, ApiError> {
    let mut page_params = Map::new();
    for key in ["limit", "starting_after", "ending_before"] {
        if let Some(v) = tree.remove(key) {
            page_params.insert(key.to_owned(), v);
        }
    }
    #[derive(Deserialize)]
    struct Raw {
        limit: Option<Int>,
        starting_after: Option<String>,
        ending_before: Option<String>,
    }
    let raw: Raw = from_tree(page_params)?;
    let limit = match raw.limit {
        None => DEFAULT_LIMIT,
        Some(Int(n)) if (1..=i64::from(MAX_LIMIT)).contains(&n) => n as u32,
        Some(Int(n)) => {
            return Err(ApiError::invalid(
                "parameter_invalid_integer",
                "limit",
                format!("Invalid limit: must be between 1 and {MAX_LIMIT}, got {n}"),
            ));
        }
    };
    let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let cursor = match (non_empty(raw.starting_after), non_empty(raw.ending_before)) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "parameter_invalid",
                "ending_before",
                "You may only specify one of these parameters: starting_after, ending_before.",
            ));
        }
        (Some(id), None) => Cursor::After(id),
        (None, Some(id)) => Cursor::Before(id),
        (None, None) => Cursor::Start,
    };
    Ok(PageRequest { limit, cursor })
}

/// Builds Stripe's list object; `url` is the collection's path, which the SDKs page against.
pub fn list_object(url: &str, page: Page<Value>) -> Value {
    json!({
        "object": "list",
        "data": page.data,
        "has_more": page.has_more,
        "url": url,
    })
}

/// Maps the store's unknown-cursor error to Stripe's answer naming the cursor parameter.
pub fn cursor_error(object: &str, page: &PageRequest, e: StoreError) -> ApiError {
    match (e, &page.cursor) {
        (StoreError::UnknownCursor(id), Cursor::After(_)) => {
            ApiError::no_such(object, &id, "starting_after").with_status_400()
        }
        (StoreError::UnknownCursor(id), _) => ApiError::no_such(object, &id, "ending_before").with_status_400(),
        (other, _) => other.into(),
    }
}

/// Pages through a short list held in memory (institutions), in its given order.
pub fn paginate_in_memory<T>(
    items: Vec<T>,
    id_of: impl Fn(&T) -> &str,
    page: &PageRequest,
    object: &str,
) -> Result<Page<T>, ApiError> {
    let position = |id: &str, param: &str| {
        items
            .iter()
            .position(|i| id_of(i) == id)
            .ok_or_else(|| ApiError::no_such(object, id, param).with_status_400())
    };
    let limit = page.limit as usize;
    let (start, end) = match &page.cursor {
        Cursor::Start => (0, limit.min(items.len())),
        Cursor::After(id) => {
            let at = position(id, "starting_after")? + 1;
            (at, (at + limit).min(items.len()))
        }
        Cursor::Before(id) => {
            let at = position(id, "ending_before")?;
            (at.saturating_sub(limit), at)
        }
    };
    let has_more = match page.cursor {
        Cursor::Before(_) => start > 0,
        _ => end < items.len(),
    };
    let data = items.into_iter().skip(start).take(end - start).collect();
    Ok(Page { data, has_more })
}

/// A `created` (or other timestamp) filter: an integer, or `{gt, gte, lt, lte}`.
#[derive(Debug, Clone)]
pub enum RangeParam {
    Exact(Int),
    Range(RangeBounds),
}

impl<'de> Deserialize<'de> for RangeParam {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RangeParam;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a Unix timestamp or a hash of gt, gte, lt, lte")
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<RangeParam, E> {
                Ok(RangeParam::Exact(Int(v)))
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<RangeParam, E> {
                Int::deserialize(serde::de::value::U64Deserializer::<E>::new(v)).map(RangeParam::Exact)
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<RangeParam, E> {
                Int::deserialize(serde::de::value::StrDeserializer::<E>::new(v)).map(RangeParam::Exact)
            }
            // Read key by key so errors name `created[gte]`.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RangeParam, A::Error> {
                let mut b = RangeBounds::default();
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.as_str() {
                        "gt" => &mut b.gt,
                        "gte" => &mut b.gte,
                        "lt" => &mut b.lt,
                        "lte" => &mut b.lte,
                        other => return Err(A::Error::unknown_field(other, &["gt", "gte", "lt", "lte"])),
                    };
                    *slot = Some(map.next_value::<Int>()?);
                }
                Ok(RangeParam::Range(b))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Default)]
pub struct RangeBounds {
    gt: Option<Int>,
    gte: Option<Int>,
    lt: Option<Int>,
    lte: Option<Int>,
}

impl RangeParam {
    pub fn into_range(self) -> TimeRange {
        match self {
            RangeParam::Exact(Int(at)) => TimeRange::exactly(at),
            RangeParam::Range(b) => TimeRange {
                gt: b.gt.map(|v| v.0),
                gte: b.gte.map(|v| v.0),
                lt: b.lt.map(|v| v.0),
                lte: b.lte.map(|v| v.0),
            },
        }
    }
}
