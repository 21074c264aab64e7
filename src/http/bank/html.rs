//! The banks' server-rendered pages: one layout with inline CSS, no scripts, every value
//! escaped; the page headers are set by `crate::http::html`, shared with the link pages.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// HTML escaping, shared with the link pages.
pub use crate::http::html::escape as esc;

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;background:#f4f6f8;color:#1a1f36;\
margin:0}main{max-width:28rem;margin:3rem auto;background:#fff;border-radius:10px;padding:2rem;\
box-shadow:0 2px 8px rgba(0,0,0,.08)}h1{font-size:1.35rem;margin-top:0}label{display:block;margin:.8rem 0 .3rem;\
font-weight:600}input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;\
border:1px solid #c9d0d8;border-radius:6px;font-size:1rem}button{margin-top:1.2rem;padding:.65rem 1.2rem;\
border:0;border-radius:6px;background:#0a5cd6;color:#fff;font-size:1rem;cursor:pointer}button.secondary\
{background:#e3e8ee;color:#1a1f36;margin-left:.5rem}.error{color:#b3261e;background:#fdecea;padding:.6rem;\
border-radius:6px}.muted{color:#5f6b7a;font-size:.9rem}ul.perms li{margin:.35rem 0}.account{display:flex;\
gap:.6rem;align-items:center;padding:.5rem 0;border-bottom:1px solid #eef1f4}.bank{color:#5f6b7a;\
font-size:.85rem;text-transform:uppercase;letter-spacing:.05em}";

/// A full page (the routes' layer adds the page headers; set here too so a page is whole
/// wherever it is served from).
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        title = esc(title),
    );
    let mut res = (status, Html(html)).into_response();
    crate::http::html::set_page_headers(res.headers_mut());
    res
}

/// The bank's name above a page's heading.
pub fn heading(bank: &str, title: &str) -> String {
    format!("<div class=\"bank\">{}</div><h1>{}</h1>", esc(bank), esc(title))
}

/// A red notice, or nothing.
pub fn notice(message: Option<&str>) -> String {
    message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(m)))
        .unwrap_or_default()
}

pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        esc(name),
        esc(value)
    )
}

pub fn text_input(name: &str, label: &str, kind: &str, autocomplete: &str) -> String {
    // One-time codes get the numeric keypad on phones.
    let numeric = if autocomplete == "one-time-code" {
        " inputmode=\"numeric\" pattern=\"[0-9]*\""
    } else {
        ""
    };
    format!(
        "<label for=\"{name}\">{label}</label><input type=\"{kind}\" id=\"{name}\" name=\"{name}\" \
         autocomplete=\"{autocomplete}\"{numeric} required>",
        name = esc(name),
        label = esc(label),
        kind = esc(kind),
        autocomplete = esc(autocomplete),
    )
}
