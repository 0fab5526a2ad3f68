//! A fake HTTP endpoint that answers `200 OK` to everything and hands each request to the
//! test: the Pushgateway's role, or any webhook receiver.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct CapturedRequest {
    /// `PUT`, `POST`, ...
    pub method: String,
    /// The request target, such as `/metrics/job/posture`.
    pub path: String,
    /// Header names in lower case, with their values.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl CapturedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Listens on a free loopback port until dropped.
pub struct HttpCapture {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    requests: Receiver<CapturedRequest>,
}

impl HttpCapture {
    pub fn start() -> HttpCapture {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the capture's port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let (tx, requests) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some(request) = read_request(&stream) else {
                    continue;
                };
                let _ = (&stream).write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
                if tx.send(request).is_err() {
                    return; // the capture was dropped
                }
            }
        });
        HttpCapture { url, requests }
    }

    /// The next request, if one arrives within `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<CapturedRequest> {
        self.requests.recv_timeout(timeout).ok()
    }

    /// The first request (in `timeout`) for which `want` holds; earlier ones are passed over.
    pub fn first(
        &self,
        timeout: Duration,
        mut want: impl FnMut(&CapturedRequest) -> bool,
    ) -> Option<CapturedRequest> {
        let end = std::time::Instant::now() + timeout;
        loop {
            let left = end.checked_duration_since(std::time::Instant::now())?;
            let r = self.next(left)?;
            if want(&r) {
                return Some(r);
            }
        }
    }

    /// The next request; fails the test when none arrives within 60 s.
    pub fn expect_one(&self) -> CapturedRequest {
        self.next(Duration::from_secs(60))
            .unwrap_or_else(|| panic!("no request reached {} within 60 s", self.url))
    }
}

fn read_request(stream: &std::net::TcpStream) -> Option<CapturedRequest> {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(CapturedRequest {
        method,
        path,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_method_path_headers_and_body() {
        let capture = HttpCapture::start();
        let addr = capture.url.trim_start_matches("http://").to_string();
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(b"PUT /metrics/job/x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        let r = capture.expect_one();
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("PUT", "/metrics/job/x")
        );
        assert_eq!(r.header("content-length"), Some("5"));
        assert_eq!(r.text(), "hello");
        assert!(capture.next(Duration::from_millis(50)).is_none());
    }
}
