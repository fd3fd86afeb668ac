//! Form bodies, `application/x-www-form-urlencoded` and `multipart/form-data`, as the ordered
//! (name, value) pairs they carry, at most [`MAX_FIELDS`] of them. Each dialect builds its own
//! fields from the pairs.

use axum::body::Bytes;

use super::limits::{MAX_FIELDS, too_many_fields};

/// The body is not the form its `Content-Type` says it is, or carries too many fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    Urlencoded,
    Multipart,
    TooManyFields,
}

impl FormError {
    pub fn message(self) -> String {
        match self {
            FormError::Urlencoded => "Invalid application/x-www-form-urlencoded body.".into(),
            FormError::Multipart => "Invalid multipart/form-data body.".into(),
            FormError::TooManyFields => too_many_fields(),
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
    // Counted before decoding: a body of many tiny fields is refused for one pass over it.
    let fields = body.split(|b| *b == b'&').filter(|f| !f.is_empty()).count();
    if fields > MAX_FIELDS {
        return Err(FormError::TooManyFields);
    }
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
        if pairs.len() == MAX_FIELDS {
            return Err(FormError::TooManyFields);
        }
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

    #[tokio::test]
    async fn forms_with_more_fields_than_the_limit_are_refused() {
        let at_limit = "a[]=1&".repeat(MAX_FIELDS);
        assert_eq!(
            urlencoded_pairs(at_limit.as_bytes()).unwrap().len(),
            MAX_FIELDS
        );
        let over = format!("{at_limit}b=2");
        assert_eq!(
            urlencoded_pairs(over.as_bytes()),
            Err(FormError::TooManyFields)
        );
        let part = "--b\r\nContent-Disposition: form-data; name=\"a[]\"\r\n\r\n1\r\n";
        let multipart = |n: usize| Bytes::from(format!("{}--b--\r\n", part.repeat(n)));
        let content_type = "multipart/form-data; boundary=b";
        assert_eq!(
            multipart_pairs(content_type, multipart(MAX_FIELDS))
                .await
                .unwrap()
                .len(),
            MAX_FIELDS
        );
        assert_eq!(
            multipart_pairs(content_type, multipart(MAX_FIELDS + 1)).await,
            Err(FormError::TooManyFields)
        );
        assert!(FormError::TooManyFields.message().contains("1000 fields"));
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
