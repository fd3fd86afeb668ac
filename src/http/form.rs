//! Form bodies, `application/x-www-form-urlencoded` and `multipart/form-data`, as the ordered
//! (name, value) pairs they carry. Each dialect builds its own fields from the pairs.

use axum::body::Bytes;

/// The body is not the form its `Content-Type` says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    Urlencoded,
    Multipart,
}

impl FormError {
    pub fn message(self) -> &'static str {
        match self {
            FormError::Urlencoded => "Invalid application/x-www-form-urlencoded body.",
            FormError::Multipart => "Invalid multipart/form-data body.",
        }
    }
}

/// The lower-case media type of a `Content-Type` value, without parameters.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

pub fn urlencoded_pairs(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    serde_urlencoded::from_bytes(body).map_err(|_| FormError::Urlencoded)
}

/// The text fields of a multipart body; uploaded files are skipped, as no action takes one.
pub async fn multipart_pairs(
    content_type: &str,
    body: Bytes,
) -> Result<Vec<(String, String)>, FormError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| FormError::Multipart)?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let mut pairs = Vec::new();
    while let Some(field) = parts.next_field().await.map_err(|_| FormError::Multipart)? {
        if field.file_name().is_some() {
            continue;
        }
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        let value = field.text().await.map_err(|_| FormError::Multipart)?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn multipart_fields_come_in_order_and_files_are_skipped() {
        let body = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
                    --b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\nzz\r\n\
                    --b\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n3\r\n--b--\r\n";
        let pairs = multipart_pairs("multipart/form-data; boundary=b", Bytes::from(body))
            .await
            .unwrap();
        assert_eq!(
            pairs,
            vec![("a".into(), "1".into()), ("c".into(), "3".into())]
        );
        assert_eq!(
            multipart_pairs("multipart/form-data", Bytes::new()).await,
            Err(FormError::Multipart)
        );
    }

    #[test]
    fn urlencoded_pairs_decode() {
        assert_eq!(
            urlencoded_pairs(b"a=1+2&b=%21").unwrap(),
            vec![("a".into(), "1 2".into()), ("b".into(), "!".into())]
        );
        assert_eq!(
            essence("Multipart/Form-Data; boundary=x"),
            "multipart/form-data"
        );
    }
}
