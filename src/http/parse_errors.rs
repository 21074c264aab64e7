//! Requests hyper cannot parse (a URI over 65534 bytes: 414; more than 100 headers or too
//! many header bytes: 431; a malformed request line or header: 400) are answered by hyper
//! itself, before any service sees them, with an empty body the SDKs cannot read. Its limits
//! are fixed (the URI's is a constant), so rather than move them this listener's
//! connections recognise hyper's automatic answer as it is written and send Stripe's JSON
//! error object with a `Request-Id` in its place.
//!
//! hyper's answer is recognisable exactly: it is the only response without a `request-id`
//! (every response of the router gets one), and it has a fixed shape — the status line,
//! `connection: close`, `content-length: 0` and `date`, written whole in one write, last
//! before the connection closes.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::domain::ids::random_base62;
use crate::http::error::ApiError;

/// A TCP listener whose connections answer hyper's parse errors as Stripe does.
pub struct StripeListener(pub TcpListener);

impl axum::serve::Listener for StripeListener {
    type Io = StripeErrorsIo<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (StripeErrorsIo::new(stream), addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A connection that passes everything through except hyper's automatic error answer.
pub struct StripeErrorsIo<T> {
    inner: T,
    /// The replacement still to be written, and how much of it is.
    pending: Vec<u8>,
    written: usize,
}

impl<T> StripeErrorsIo<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

impl<T: AsyncWrite + Unpin> StripeErrorsIo<T> {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for StripeErrorsIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for StripeErrorsIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(replacement) = replace_hyper_error(buf) {
            self.pending = replacement;
            // Written by the next write, flush or shutdown if the socket is full now.
            if let Poll::Ready(Err(e)) = self.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// If `buf` ends with hyper's automatic error answer, the same bytes with Stripe's answer in
/// its place (what precedes it, a pipelined response, is kept).
fn replace_hyper_error(buf: &[u8]) -> Option<Vec<u8>> {
    const START: &[u8] = b"HTTP/1.1 4";
    // hyper's head is about 120 bytes and ends the write: every other write is passed on
    // after looking at its last four bytes, so the hot path costs nothing measurable.
    const LONGEST_HEAD: usize = 256;
    if !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let tail = buf.len().saturating_sub(LONGEST_HEAD);
    let start = tail + buf[tail..].windows(START.len()).rposition(|w| w == START)?;
    let (status, date) = hyper_error_head(&buf[start..])?;
    let id = format!("req_{}", random_base62(14));
    tracing::info!(request_id = %id, status = status.as_u16(), "refused before routing: the request could not be parsed");
    let body = ApiError::from_server(status).body_bytes();
    let mut out = buf[..start].to_vec();
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\nrequest-id: {id}\r\ncontent-length: {}\r\nconnection: close\r\n{date}\r\n\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&body);
    Some(out)
}

/// The status (400, 414 or 431) and the `date` line of a head shaped exactly as hyper's
/// automatic error answer, which must end `head`.
fn hyper_error_head(head: &[u8]) -> Option<(StatusCode, &str)> {
    let text = std::str::from_utf8(head).ok()?.strip_suffix("\r\n\r\n")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let code: u16 = status_line.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let status = StatusCode::from_u16(code).ok()?;
    if !matches!(code, 400 | 414 | 431) || status_line != format!("HTTP/1.1 {code} {}", status.canonical_reason()?) {
        return None;
    }
    let (mut close, mut empty, mut date) = (false, false, None);
    for line in lines {
        match line {
            "connection: close" if !close => close = true,
            "content-length: 0" if !empty => empty = true,
            _ if line.starts_with("date: ") && date.is_none() => date = Some(line),
            _ => return None,
        }
    }
    (close && empty).then_some((status, date?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYPER_414: &[u8] =
        b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: Fri, 04 Dec 2026 18:59:06 GMT\r\n\r\n";

    fn parts(bytes: &[u8]) -> (String, serde_json::Value) {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        (head.to_owned(), serde_json::from_str(body).unwrap())
    }

    #[test]
    fn hypers_answers_become_stripes() {
        let out = replace_hyper_error(HYPER_414).unwrap();
        let (head, body) = parts(&out);
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(head.contains("\r\nrequest-id: req_"), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(head.contains("date: Fri, 04 Dec 2026"), "{head}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(length, out.len() - head.len() - 4);
        let hyper_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert!(replace_hyper_error(hyper_431).is_some());
    }

    #[test]
    fn a_pipelined_response_before_it_is_kept() {
        let mut buf = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nrequest-id: req_1\r\n\r\n{}".to_vec();
        buf.extend_from_slice(HYPER_414);
        let out = replace_hyper_error(&buf).unwrap();
        assert!(out.starts_with(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nrequest-id: req_1\r\n\r\n{}HTTP/1.1 414 "));
    }

    #[test]
    fn the_routers_own_responses_pass_untouched() {
        for buf in [
            &b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\nrequest-id: req_1\r\ncontent-length: 2\r\n\r\n{}"[..],
            b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\nrequest-id: req_1\r\ndate: x\r\n\r\n",
            b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\nmore",
            b"HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n",
            b"{\"name\":\"HTTP/1.1 414 URI Too Long\"}",
        ] {
            assert!(replace_hyper_error(buf).is_none(), "{}", String::from_utf8_lossy(buf));
        }
    }
}
