//! `/api/v1/official-account/callback`: the server URL configured on the official account.
//! WeChat checks it with a GET and pushes events to it with POSTs of XML.

use super::{PushQuery, UrlCheck};
use crate::api::callback_error::CallbackError;
use crate::login::Saoma;
use poem::web::Data;
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::param::Query;
use poem_openapi::payload::PlainText;
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, OpenApi, Tags,
};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// Called by WeChat on behalf of the official account.
    OfficialAccount,
}

#[derive(ApiResponse)]
pub enum UrlCheckResponse {
    /// The signature is right: `echostr`, as text.
    #[oai(status = 200)]
    Echo(PlainText<String>),
}

#[derive(ApiResponse)]
pub enum PushResponse {
    /// `success` (no reply), or a passive text reply as `<xml>` (its `<Encrypt>` envelope when
    /// the push was encrypted).
    #[oai(status = 200)]
    Answer(PlainText<String>),
}

/// A `SCAN` push in plaintext mode, as the document's example.
const PUSH_EXAMPLE: &str = "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
<FromUserName><![CDATA[o6_bmjrPTlm6_2sgVt7hMZOPfL2M]]></FromUserName>\
<CreateTime>1767323045</CreateTime><MsgType><![CDATA[event]]></MsgType>\
<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[Hk3v9Qm2TzL8wXr4bN6pYa]]></EventKey>\
<Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ1d3]]></Ticket></xml>";

/// A push's raw body. WeChat sends `text/xml`; the body is read whatever its Content-Type
/// says, since it is authenticated and parsed as XML anyway.
pub struct XmlBody(pub Vec<u8>);

impl<'a> ApiExtractor<'a> for XmlBody {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: Some("The event XML (plain, compatible or safe mode)."),
            content: vec![MetaMediaType {
                content_type: "text/xml",
                schema: MetaSchemaRef::Inline(Box::new(MetaSchema {
                    example: Some(serde_json::Value::String(PUSH_EXAMPLE.into())),
                    ..MetaSchema::new("string")
                })),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(XmlBody(
            <Vec<u8> as FromRequest>::from_request(request, body).await?,
        ))
    }
}

#[derive(Default)]
pub struct OfficialAccountApi;

#[OpenApi(
    prefix_path = "/api/v1/official-account",
    tag = "ApiTags::OfficialAccount"
)]
impl OfficialAccountApi {
    /// WeChat's URL check
    ///
    /// Answers `echostr` when `signature = sha1(sorted([token, timestamp, nonce]))`, else 403
    /// `invalid_signature`.
    #[oai(
        path = "/callback",
        method = "get",
        operation_id = "officialAccountUrlCheck"
    )]
    async fn url_check(
        &self,
        saoma: Data<&Arc<Saoma>>,
        #[oai(validator(max_length = 128))] signature: Query<Option<String>>,
        #[oai(validator(max_length = 32))] timestamp: Query<Option<String>>,
        #[oai(validator(max_length = 128))] nonce: Query<Option<String>>,
        #[oai(validator(max_length = 1024))] echostr: Query<Option<String>>,
    ) -> Result<UrlCheckResponse, CallbackError> {
        let check = UrlCheck {
            signature: signature.0,
            timestamp: timestamp.0,
            nonce: nonce.0,
            echostr: echostr.0,
        };
        let echo = super::effects::url_check(&saoma, &check)?;
        Ok(UrlCheckResponse::Echo(PlainText(echo)))
    }

    /// Receive a push from WeChat
    ///
    /// Every push: `signature` checked (and `msg_signature` when encrypted, in constant time),
    /// a timestamp within 5 minutes, at most 16 KiB of XML without DOCTYPE, the app id inside
    /// the ciphertext. `subscribe` with `EventKey=qrscene_<scene>` and `SCAN` with the bare
    /// scene confirm the scene and get a passive reply (登录成功); a push seen before (same
    /// FromUserName + CreateTime, or the same signed query) and every other push get `success`.
    #[oai(
        path = "/callback",
        method = "post",
        operation_id = "officialAccountPush"
    )]
    // One argument per documented query parameter, as poem-openapi wants them.
    #[allow(clippy::too_many_arguments)]
    async fn push(
        &self,
        saoma: Data<&Arc<Saoma>>,
        #[oai(validator(max_length = 128))] signature: Query<Option<String>>,
        #[oai(validator(max_length = 32))] timestamp: Query<Option<String>>,
        #[oai(validator(max_length = 128))] nonce: Query<Option<String>>,
        #[oai(name = "openid", validator(max_length = 128))] _openid: Query<Option<String>>,
        #[oai(validator(max_length = 16))] encrypt_type: Query<Option<String>>,
        #[oai(validator(max_length = 128))] msg_signature: Query<Option<String>>,
        body: XmlBody,
    ) -> Result<PushResponse, CallbackError> {
        let query = PushQuery {
            signature: signature.0,
            timestamp: timestamp.0,
            nonce: nonce.0,
            encrypt_type: encrypt_type.0,
            msg_signature: msg_signature.0,
        };
        let answer = super::effects::handle_push(&saoma, &query, &body.0).await?;
        Ok(PushResponse::Answer(PlainText(answer.into_body())))
    }
}
