//! The avatar a person fills in from the mini-program (`chooseAvatar`): decoded and re-encoded
//! as a PNG (nothing of the upload's bytes or metadata survives), stored `pending`, and checked
//! by WeChat (`media_check_async`), whose verdict arrives later as a `wxa_media_check` push.

use super::{AccountView, Error, Saoma, random_token};
use crate::accounts::AvatarStatus;
use crate::scene::Provider;
use crate::wechat::{PROFILE_SCENE, Suggest};
use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The largest width or height an upload may have.
pub(super) const AVATAR_MAX_SIDE: u32 = 2048;
/// The side of a stored avatar at most (WeChat's own are 132 px).
const STORED_SIDE: u32 = 256;
/// The memory a decoder may take.
const DECODE_MAX_ALLOC: u64 = 64 * 1024 * 1024;
/// An avatar id: 32 random bytes, base64url without padding.
const ID_LEN: usize = 43;

/// What the upload claims to be (its Content-Type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvatarFormat {
    Png,
    Jpeg,
    Webp,
}

impl AvatarFormat {
    fn image_format(self) -> ImageFormat {
        match self {
            AvatarFormat::Png => ImageFormat::Png,
            AvatarFormat::Jpeg => ImageFormat::Jpeg,
            AvatarFormat::Webp => ImageFormat::WebP,
        }
    }
}

/// Decode `bytes` as `format` (nothing else), within the size limits, and encode the pixels
/// as a new PNG of at most [`STORED_SIDE`] px a side.
fn reencode(bytes: &[u8], format: AvatarFormat) -> Result<Vec<u8>, Error> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(AVATAR_MAX_SIDE);
    limits.max_image_height = Some(AVATAR_MAX_SIDE);
    limits.max_alloc = Some(DECODE_MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(limits);
    let image = reader.decode().map_err(|_| Error::InvalidAvatar)?;
    let image = if image.width() > STORED_SIDE || image.height() > STORED_SIDE {
        image.thumbnail(STORED_SIDE, STORED_SIDE)
    } else {
        image
    };
    let mut png = Cursor::new(Vec::new());
    image
        .write_to(&mut png, ImageFormat::Png)
        .map_err(|e| Error::Internal(e.into()))?;
    Ok(png.into_inner())
}

impl Saoma {
    /// Store the bearer's new avatar (a token of this mini-program) and have WeChat check it:
    /// `pending` until the verdict arrives ([`Saoma::avatar_checked`]).
    pub async fn set_avatar(
        &self,
        bearer: Option<&str>,
        bytes: Vec<u8>,
        format: AvatarFormat,
    ) -> Result<AccountView, Error> {
        let account_id = self.mini_program_bearer(bearer)?;
        let png = tokio::task::spawn_blocking(move || reencode(&bytes, format))
            .await
            .map_err(|e| Error::Internal(e.into()))??;
        let app = self.app_of(Provider::MiniProgram)?;
        let account = self
            .parts
            .accounts
            .get(&account_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let openid = account
            .identities
            .iter()
            .find(|i| i.app_id == app.app_id)
            .map(|i| i.openid.clone())
            .ok_or(Error::TokenNotAccepted)?;
        let id = random_token().expose().to_owned();
        let url = self
            .parts
            .settings
            .avatars_url
            .join(&format!("{id}.png"))
            .map_err(|e| Error::Internal(e.into()))?;
        self.parts
            .accounts
            .add_avatar(&account_id, &id, &png)
            .await?;
        let checked = self
            .parts
            .wechat
            .media_check_async(app, &openid, PROFILE_SCENE, url.as_str())
            .await;
        match checked {
            Ok(trace_id) => self.parts.accounts.set_avatar_trace(&id, &trace_id).await?,
            Err(e) => {
                self.parts.accounts.remove_avatar(&id).await?;
                return Err(e.into());
            }
        }
        let account = self
            .parts
            .accounts
            .get(&account_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        Ok(AccountView::from(&account))
    }

    /// WeChat's verdict on the avatar of `trace_id` (a `wxa_media_check` push): only `pass`
    /// accepts it. An unknown or settled trace id changes nothing.
    pub async fn avatar_checked(&self, trace_id: &str, suggest: Suggest) -> Result<(), Error> {
        let accepted = suggest == Suggest::Pass;
        match self
            .parts
            .accounts
            .settle_avatar(trace_id, accepted)
            .await?
        {
            Some(_) => tracing::info!(accepted, "an avatar's content check arrived"),
            None => tracing::info!("a content check result for no pending avatar; ignored"),
        }
        Ok(())
    }

    /// Avatar `id`'s PNG, unless WeChat refused it.
    pub async fn avatar_png(&self, id: &str) -> Result<Vec<u8>, Error> {
        let well_formed = id.len() == ID_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(Error::AvatarNotFound);
        }
        match self.parts.accounts.avatar(id).await? {
            Some((png, status)) if status != AvatarStatus::Refused => Ok(png),
            _ => Err(Error::AvatarNotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, RgbImage};

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let image = DynamicImage::ImageRgb8(RgbImage::new(width, height));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn an_upload_is_decoded_as_its_type_and_stored_as_a_small_png() {
        let png = reencode(&encoded(600, 300, ImageFormat::Jpeg), AvatarFormat::Jpeg).unwrap();
        let stored = image::load_from_memory_with_format(&png, ImageFormat::Png).unwrap();
        assert_eq!((stored.width(), stored.height()), (256, 128));

        let small = reencode(&encoded(100, 100, ImageFormat::Png), AvatarFormat::Png).unwrap();
        assert!(small.starts_with(b"\x89PNG"));
    }

    #[test]
    fn an_upload_not_of_its_type_or_too_large_is_invalid() {
        let jpeg = encoded(10, 10, ImageFormat::Jpeg);
        assert!(matches!(
            reencode(&jpeg, AvatarFormat::Png),
            Err(Error::InvalidAvatar)
        ));
        assert!(matches!(
            reencode(b"not an image", AvatarFormat::Webp),
            Err(Error::InvalidAvatar)
        ));
        let huge = encoded(AVATAR_MAX_SIDE + 1, 1, ImageFormat::Png);
        assert!(matches!(
            reencode(&huge, AvatarFormat::Png),
            Err(Error::InvalidAvatar)
        ));
    }
}
