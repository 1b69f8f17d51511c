//! The official account's QR, drawn here from the ticket's `url` as a PNG data URL.

use crate::login::Error;
use base64::Engine;
use image::codecs::png::PngEncoder;
use image::{ImageBuffer, ImageEncoder, Luma};
use qrcode::{EcLevel, QrCode};

/// Side of the image in pixels (the QR with its quiet zone fits inside).
const SIDE: u32 = 430;

/// `data:image/png;base64,...` of a QR encoding `url`, drawn off the async threads.
pub(super) async fn data_url(url: String) -> Result<String, Error> {
    let png = tokio::task::spawn_blocking(move || render_png(&url))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("the QR rendering task failed: {e}")))?
        .map_err(Error::Internal)?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    ))
}

fn render_png(url: &str) -> anyhow::Result<Vec<u8>> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)?;
    let image: ImageBuffer<Luma<u8>, Vec<u8>> = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .min_dimensions(SIDE, SIDE)
        .max_dimensions(SIDE * 2, SIDE * 2)
        .build();
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(
        image.as_raw(),
        image.width(),
        image.height(),
        image::ExtendedColorType::L8,
    )?;
    Ok(png)
}
