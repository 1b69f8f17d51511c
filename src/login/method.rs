//! The one way the core calls a login method: [`LoginMethod`], and [`Methods`], the table of
//! the methods this server registered (configured, or played by the sandbox), keyed by
//! [`Provider`]. The core dispatches through the table only; each method's own logic uses the
//! core through `Saoma`'s `pub(crate)` methods.

use super::{CreatedScene, Error, NewScene, Saoma};
use crate::scene::Provider;
use crate::wechat::AppCredentials;
use std::any::Any;
use std::collections::BTreeMap;

/// A login method, as the core calls it.
#[async_trait::async_trait]
pub trait LoginMethod: Any + Send + Sync {
    /// The provider its scenes and identities carry.
    fn provider(&self) -> Provider;

    /// Whether `GET /api/v1/providers` offers it as a tab of the login page (a page inside
    /// WeChat's browser, or a native app, reaches its method another way).
    fn listed(&self) -> bool {
        true
    }

    /// The origin the login page frames to show this method's code (CSP `frame-src`), if any.
    fn framed_origin(&self) -> Option<String> {
        None
    }

    /// The pages that may frame this method's pages on Saoma (CSP `frame-ancestors`), if any.
    fn frame_ancestors(&self) -> Option<String> {
        None
    }

    /// The WeChat app its identities belong to (the core checks tokens and calls WeChat for
    /// the person with it), if it has one.
    fn app(&self) -> Option<&AppCredentials> {
        None
    }

    /// Create a scene of this provider (`new.provider`) and what the browser shows for it.
    async fn create_scene(&self, saoma: &Saoma, new: NewScene) -> Result<CreatedScene, Error>;
}

/// The registered methods, one per provider.
#[derive(Default)]
pub struct Methods(BTreeMap<Provider, Box<dyn LoginMethod>>);

impl Methods {
    /// Add a method; a second one for the same provider replaces the first.
    pub fn register(&mut self, method: impl LoginMethod) {
        self.0.insert(method.provider(), Box::new(method));
    }

    /// Add a method when there is one (configured).
    pub fn register_some(&mut self, method: Option<impl LoginMethod>) {
        if let Some(method) = method {
            self.register(method);
        }
    }

    fn get(&self, provider: Provider) -> Option<&dyn LoginMethod> {
        self.0.get(&provider).map(Box::as_ref)
    }

    /// The method of `provider` as its own type, when registered.
    fn find<M: LoginMethod>(&self, provider: Provider) -> Option<&M> {
        let method: &dyn Any = self.get(provider)?;
        method.downcast_ref()
    }
}

impl Saoma {
    /// Create a scene with the method of `new.provider`. A return URL is refused for a
    /// provider that takes none, configured or not.
    pub async fn create_scene(&self, new: NewScene) -> Result<CreatedScene, Error> {
        if new.return_url.is_some() && !new.provider.takes_return_url() {
            return Err(Error::InvalidReturnUrl);
        }
        let method = self
            .parts
            .methods
            .get(new.provider)
            .ok_or(Error::ProviderUnavailable(new.provider))?;
        method.create_scene(self, new).await
    }

    /// The registered method of `provider`, as its own type; `ProviderUnavailable` when the
    /// server has none.
    pub(crate) fn method<M: LoginMethod>(&self, provider: Provider) -> Result<&M, Error> {
        self.parts
            .methods
            .find(provider)
            .ok_or(Error::ProviderUnavailable(provider))
    }

    /// The WeChat app of the registered method of `provider`; `ProviderUnavailable` when the
    /// server has none.
    pub(crate) fn app_of(&self, provider: Provider) -> Result<&AppCredentials, Error> {
        self.parts
            .methods
            .get(provider)
            .and_then(|method| method.app())
            .ok_or(Error::ProviderUnavailable(provider))
    }

    /// The providers a page may create scenes for (configured, or played by the sandbox), in
    /// the order to show them.
    pub fn providers(&self) -> Vec<Provider> {
        self.parts
            .methods
            .0
            .values()
            .filter(|method| method.listed())
            .map(|method| method.provider())
            .collect()
    }

    /// The origins the login page frames (CSP `frame-src`); `None`: it frames nothing.
    pub fn framed_origins(&self) -> Option<String> {
        self.joined(|method| method.framed_origin())
    }

    /// The pages that may frame the methods' own pages (CSP `frame-ancestors`); `None`: none
    /// may.
    pub fn frame_ancestors(&self) -> Option<String> {
        self.joined(|method| method.frame_ancestors())
    }

    fn joined(&self, part: impl Fn(&dyn LoginMethod) -> Option<String>) -> Option<String> {
        let parts: Vec<String> = self
            .parts
            .methods
            .0
            .values()
            .filter_map(|m| part(m.as_ref()))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// Whether the method of `provider` is registered.
    pub fn offers(&self, provider: Provider) -> bool {
        self.parts.methods.get(provider).is_some()
    }
}
