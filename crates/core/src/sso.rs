//! Single sign-on to the console through OpenID Connect (issue 23): the authorization code
//! flow with PKCE (S256), a state and a nonce, and the ID token checked by `openidconnect`
//! (signature against the provider's keys, issuer, audience, expiry, nonce).
//!
//! A person signs in to the account with the provider's verified email address, or gets a
//! new account without a password and without projects, which an invitation then opens.

use crate::accounts::check_new_user;
use crate::manage::ManageError;
use feedbackd_store::accounts::{self as store, User};
use feedbackd_store::{Db, StoreError};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long the provider's metadata and keys are kept before they are read again (so a
/// provider's key rotation is seen within the hour; a token signed by an unknown key also
/// reads them again at once).
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// The provider, as configured.
#[derive(Clone, Debug)]
pub struct SsoSettings {
    /// The issuer URL (`https://accounts.example.com`); discovery reads
    /// `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// What the sign-in button says ("Sign in with {name}").
    pub name: String,
}

/// Why a single sign-on failed.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("the identity provider could not be reached or answered badly: {0}")]
    Provider(String),
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the identity provider did not give a verified email address")]
    NoVerifiedEmail,
    #[error("this account is disabled")]
    Disabled,
    #[error(transparent)]
    Invalid(#[from] ManageError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the browser keeps between leaving for the provider and coming back (in a signed
/// cookie): the state to compare, the nonce the ID token must carry, and the PKCE verifier.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// The configured provider and what discovery found of it.
#[derive(Clone)]
pub struct Sso {
    settings: SsoSettings,
    http: reqwest::Client,
    metadata: Arc<Mutex<Option<(CoreProviderMetadata, Instant)>>>,
}

impl Sso {
    pub fn new(settings: SsoSettings) -> Self {
        // No redirects: the token endpoint must answer itself (SSRF, per openidconnect's advice).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client without redirects");
        Sso { settings, http, metadata: Arc::new(Mutex::new(None)) }
    }

    /// The name on the sign-in button.
    pub fn name(&self) -> &str {
        &self.settings.name
    }

    async fn metadata(&self, fresh: bool) -> Result<CoreProviderMetadata, SsoError> {
        let mut slot = self.metadata.lock().await;
        if let Some((metadata, at)) = slot.as_ref() {
            if !fresh && at.elapsed() < METADATA_TTL {
                return Ok(metadata.clone());
            }
        }
        let issuer =
            IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| SsoError::Provider(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| SsoError::Provider(format!("discovery: {e}")))?;
        *slot = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    fn client(&self, metadata: CoreProviderMetadata, redirect: &str) -> Result<SsoClient, SsoError> {
        let redirect =
            RedirectUrl::new(redirect.to_string()).map_err(|e| SsoError::Provider(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.expose_secret().to_string())),
        )
        .set_redirect_uri(redirect))
    }

    /// Where to send the browser to sign in, and what to keep until it comes back to
    /// `redirect` (the callback's absolute URL, as registered at the provider).
    pub async fn start(&self, redirect: &str) -> Result<(String, Pending), SsoError> {
        let client = self.client(self.metadata(false).await?, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        };
        Ok((url.to_string(), pending))
    }

    /// Finishes a sign-in: exchanges `code` (with the PKCE verifier) for tokens, checks the
    /// ID token, and returns the account of its verified email address (made if new).
    /// The caller has compared the returned state with `pending.state`.
    pub async fn finish(
        &self,
        db: &Db,
        redirect: &str,
        code: &str,
        pending: &Pending,
    ) -> Result<User, SsoError> {
        let (email, name) = match self.identify(redirect, code, pending, false).await {
            // A token signed by a key we have not seen: the provider may have rotated them.
            Err(SsoError::Refused(reason)) if reason.contains("signature") => {
                self.identify(redirect, code, pending, true).await?
            }
            other => other?,
        };
        account_for(db, &email, &name).await
    }

    async fn identify(
        &self,
        redirect: &str,
        code: &str,
        pending: &Pending,
        fresh: bool,
    ) -> Result<(String, String), SsoError> {
        let client = self.client(self.metadata(fresh).await?, redirect)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| SsoError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| SsoError::Refused(format!("token exchange: {e}")))?;
        let id_token = tokens.id_token().ok_or_else(|| SsoError::Refused("no ID token".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce.clone()))
            .map_err(|e| SsoError::Refused(format!("ID token: {e}")))?;
        let email = claims
            .email()
            .filter(|_| claims.email_verified() == Some(true))
            .ok_or(SsoError::NoVerifiedEmail)?
            .to_string();
        let name = claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()).unwrap_or_default();
        Ok((email, name))
    }
}

type SsoClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The account of `email`, or a new one that signs in only through the provider.
async fn account_for(db: &Db, email: &str, name: &str) -> Result<User, SsoError> {
    let email = check_new_user(email, "", None)?;
    let name: String = name.chars().take(200).collect();
    let found = {
        let email = email.clone();
        db.run(move |conn| store::user_by_email(conn, &email)).await?
    };
    match found {
        Some((user, _)) if user.disabled_at.is_some() => Err(SsoError::Disabled),
        Some((user, _)) => Ok(user),
        None => {
            let made = db.run(move |conn| store::insert_user(conn, &email, &name, None, false)).await?;
            // Made by a sign-in racing this one: the same account.
            made.ok_or_else(|| {
                SsoError::Provider("the account was created at the same moment; sign in again".into())
            })
        }
    }
}
