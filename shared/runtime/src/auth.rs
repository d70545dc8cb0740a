//! Bearer-token authentication for every gRPC API.
//!
//! The token comes from config and is compared in constant time. The health
//! service stays open so load balancers and orchestrators can probe it.

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use tonic::{Request, Status};

/// Checks `authorization: Bearer <token>` on every request.
#[derive(Debug, Clone)]
pub struct AuthInterceptor {
    token: SecretString,
}

impl AuthInterceptor {
    /// An interceptor accepting exactly `token`.
    pub fn new(token: SecretString) -> Self {
        Self { token }
    }
}

impl tonic::service::Interceptor for AuthInterceptor {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(header) = request.metadata().get("authorization") else {
            return Err(Status::unauthenticated(
                "missing authorization header; send `authorization: Bearer <token>`",
            ));
        };
        let presented = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| {
                Status::unauthenticated("authorization header must be `Bearer <token>`")
            })?;
        let expected = self.token.expose_secret().as_bytes();
        if bool::from(presented.as_bytes().ct_eq(expected)) {
            Ok(request)
        } else {
            Err(Status::unauthenticated("invalid token"))
        }
    }
}

/// Adds the bearer token to every request of a client.
#[derive(Debug, Clone)]
pub struct BearerToken {
    value: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
}

impl BearerToken {
    /// A client-side interceptor sending `token`.
    ///
    /// # Errors
    /// When the token holds characters a header cannot carry.
    pub fn new(token: &str) -> Result<Self, tonic::metadata::errors::InvalidMetadataValue> {
        Ok(Self {
            value: format!("Bearer {token}").parse()?,
        })
    }
}

impl tonic::service::Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request
            .metadata_mut()
            .insert("authorization", self.value.clone());
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;
    use tonic::service::Interceptor;

    use super::*;

    fn request(header: Option<&str>) -> Request<()> {
        let mut request = Request::new(());
        if let Some(value) = header {
            request
                .metadata_mut()
                .insert("authorization", value.parse().unwrap());
        }
        request
    }

    fn check(header: Option<&str>) -> Result<(), Status> {
        AuthInterceptor::new("s3cret".to_owned().into())
            .call(request(header))
            .map(drop)
    }

    #[test]
    fn missing_token_is_unauthenticated() {
        let status = check(None).unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(status.message().starts_with("missing authorization header"));
    }

    #[test]
    fn wrong_token_is_unauthenticated() {
        for header in [
            "Bearer nope",
            "Bearer s3cret2",
            "Bearer ",
            "Basic s3cret",
            "s3cret",
        ] {
            let status = check(Some(header)).unwrap_err();
            assert_eq!(status.code(), Code::Unauthenticated, "{header}");
        }
    }

    #[test]
    fn right_token_passes() {
        check(Some("Bearer s3cret")).unwrap();
    }

    #[test]
    fn client_interceptor_sends_what_the_server_accepts() {
        let sent = BearerToken::new("s3cret")
            .unwrap()
            .call(Request::new(()))
            .unwrap();
        AuthInterceptor::new("s3cret".to_owned().into())
            .call(sent)
            .unwrap();
    }
}
