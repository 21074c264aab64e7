//! `expand[]`: replaces id strings at dotted paths with the objects they name, up to Stripe's
//! depth of four levels. Which ids can be expanded is decided by the resolver, by id prefix.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::http::error::ApiError;

/// Stripe expands at most four levels deep.
pub const MAX_DEPTH: usize = 4;

/// Knows which fields can be expanded and loads the object an id names, for this request's
/// platform.
pub trait Resolver: Sync {
    /// Whether `path` (dotted, relative to an object of type `object_type`) is expandable.
    fn expandable(&self, object_type: &str, path: &str) -> bool;
    fn resolve<'a>(&'a self, id: &'a str)
    -> Pin<Box<dyn Future<Output = Result<Option<Value>, ApiError>> + Send + 'a>>;
}

/// Expands every path in `paths` inside `object`.
pub async fn expand(object: &mut Value, paths: &[String], resolver: &dyn Resolver) -> Result<(), ApiError> {
    for path in paths {
        let segments: Vec<&str> = path.split('.').collect();
        if segments.len() > MAX_DEPTH || segments.iter().any(|s| s.is_empty()) {
            return Err(ApiError::invalid(
                "parameter_invalid",
                "expand",
                format!("Invalid expand path: {path}. Paths are dotted field names, at most {MAX_DEPTH} levels deep."),
            ));
        }
        let walk = Walk { full: path, resolver };
        walk.step(object, &segments, "", String::new()).await?;
    }
    Ok(())
}

struct Walk<'a> {
    full: &'a str,
    resolver: &'a dyn Resolver,
}

impl Walk<'_> {
    fn cannot(&self) -> ApiError {
        ApiError::invalid(
            "parameter_invalid",
            "expand",
            format!("This property cannot be expanded ({}).", self.full),
        )
    }

    /// Walks `segments` below `value`. `owner` is the type of the nearest enclosing object
    /// and `relative` the path from it, so nested hashes (`account_holder.customer`) are
    /// judged against their owner's expandable fields.
    fn step<'s>(
        &'s self,
        value: &'s mut Value,
        segments: &'s [&'s str],
        owner: &'s str,
        relative: String,
    ) -> Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send + 's>> {
        Box::pin(async move {
            let Some((first, rest)) = segments.split_first() else {
                return Ok(());
            };
            // Lists expand through `data`: each element takes the rest of the path.
            if let Value::Array(items) = value {
                for item in items {
                    self.step(item, segments, owner, relative.clone()).await?;
                }
                return Ok(());
            }
            let Value::Object(map) = value else {
                return Err(self.cannot());
            };
            let (owner, relative) = match map.get("object").and_then(Value::as_str) {
                Some(kind) => (kind.to_owned(), first.to_string()),
                None if relative.is_empty() => (owner.to_owned(), first.to_string()),
                None => (owner.to_owned(), format!("{relative}.{first}")),
            };
            let expandable = self.resolver.expandable(&owner, &relative);
            let Some(field) = map.get_mut(*first) else {
                return Err(self.cannot());
            };
            if rest.is_empty() && !expandable {
                return Err(self.cannot());
            }
            if let (true, Value::String(id)) = (expandable, &*field) {
                *field = self.resolver.resolve(id).await?.ok_or_else(|| self.cannot())?;
            }
            if rest.is_empty() {
                return Ok(());
            }
            match field {
                Value::Null => Ok(()),
                Value::Object(_) | Value::Array(_) => self.step(field, rest, &owner, relative).await,
                _ => Err(self.cannot()),
            }
        })
    }
}
