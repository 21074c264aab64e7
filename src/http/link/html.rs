//! The hosted flow's pages: plain server-rendered HTML, every value escaped (the page
//! headers are set by `crate::http::html`, shared with the bank pages).

pub use crate::http::html::escape;

/// A complete page around `body` (already escaped where needed).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><main>\
         <p class=\"brand\">sandbank · link your bank</p>{body}</main></body></html>",
        title = escape(title),
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f6f8fa;margin:0}\
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;box-shadow:0 1px 4px #0002}\
.brand{color:#635bff;font-weight:600;margin-top:0}ul{list-style:none;padding:0}\
li a{display:block;padding:.8rem 1rem;margin:.4rem 0;border:1px solid #d0d7de;border-radius:8px;color:#0a2540;text-decoration:none}\
li a:hover{border-color:#635bff}.muted{color:#57606a;font-size:.9rem}.error{color:#cf222e}\
button.secondary{padding:.6rem 1rem;border:1px solid #d0d7de;border-radius:8px;background:#fff;color:#0a2540;\
font-size:1rem;cursor:pointer}";
