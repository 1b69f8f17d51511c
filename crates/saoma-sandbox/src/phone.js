"use strict";
// The sandbox phone, served at <saoma>/sandbox/phone: the sandbox tools are at ./api/, Saoma at
// ../api/v1/. Relative URLs only, so that a real phone on the same network can open a code.
//
//   ?scene=S                       a mini-program or official-account scene (asks Saoma which)
//   ?url=http://weixin.qq.com/q/…  an official-account QR's own payload (its ticket URL)
//   ?state=S&provider=website      the website QR page's code (state = the scene)
const params = new URLSearchParams(location.search);
const isWebsite = params.get("provider") === "website";
const scene = (isWebsite ? params.get("state") : params.get("scene")) || "";
const ticketUrl = isWebsite ? "" : params.get("url") || "";
const sandboxApi = (path) => new URL("api/" + path, location.href);
const saomaApi = (path) => new URL("../api/v1/" + path, location.href);
const $ = (id) => document.getElementById(id);
const STORED_USER = "saoma-sandbox-user";
const LOGGED_IN = "登录成功";
let session = null; // the mini-program's own login, for the phone-number step
let users = [];

const MESSAGES = {
  scene_expired: "二维码已过期 (the code expired)",
  scene_consumed: "该二维码已被使用 (already used)",
  scene_not_found: "二维码无效或已过期 (unknown or expired code)",
  scene_conflict: "该登录已处理 (already answered)",
  invalid_code: "微信登录凭证无效 (the wx.login code was refused)",
  not_found: "该功能尚未实现 (not available on this server yet)",
  unknown_user: "没有这个微信用户，请新建 (no such user: create one)",
  unknown_qr: "二维码无效 (no official-account QR carries this code)",
  qr_expired: "二维码已过期 (the QR expired)",
  official_account_not_configured: "沙盒未配置公众号 (no official account in this sandbox)",
  not_following: "你没有关注该公众号 (you do not follow the account)",
  unknown_state: "二维码无效或已过期，请在电脑上刷新 (unknown QR page: reload it on the computer)",
  already_answered: "该二维码已使用，请在电脑上刷新 (already answered: reload it on the computer)",
  session_expired: "二维码已过期，请在电脑上刷新 (expired: reload it on the computer)",
};

async function call(url, body, headers = {}) {
  const init = body === undefined ? { headers } : {
    method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body),
  };
  let response;
  try { response = await fetch(url, init); } catch (e) {
    const error = new Error("网络错误 (network error)"); error.code = "network_error"; throw error;
  }
  let data = null;
  try { data = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) {
    const code = data && data.code;
    const error = new Error(MESSAGES[code] || (data && data.message) || "HTTP " + response.status);
    error.code = code;
    throw error;
  }
  return data;
}

function show(text, ok) {
  $("result-card").hidden = false;
  $("result").textContent = text;
  $("result").className = ok ? "ok" : "err";
}

function browserName(ua) {
  const browsers = [[/Edg\//, "Edge"], [/OPR\//, "Opera"], [/MicroMessenger/, "微信"],
    [/HeadlessChrome\//, "Chrome (headless)"], [/Firefox\//, "Firefox"], [/Chrome\//, "Chrome"],
    [/Safari\//, "Safari"], [/curl\//, "curl"]];
  const systems = [[/Windows/, "Windows"], [/Android/, "Android"], [/iPhone|iPad/, "iOS"],
    [/Mac OS X/, "macOS"], [/Linux/, "Linux"]];
  const pick = (rules) => (rules.find(([re]) => re.test(ua || "")) || [])[1];
  const browser = pick(browsers), system = pick(systems);
  if (!browser) return ua ? ua.slice(0, 40) : "未知浏览器 (unknown)";
  return system ? browser + ", " + system : browser;
}

function showRequester(requester) {
  const browser = browserName(requester.user_agent);
  const client = requester.client_name;
  $("question").textContent = client
    ? "在 " + browser + " 上登录到 " + client + "？"
    : "在 " + browser + " 上登录？";
  $("requester-client").textContent = client || "";
  $("requester-client-row").hidden = !client;
  $("requester-browser").textContent = browser;
  $("requester-browser").title = requester.user_agent;
  $("requester-ip").textContent = requester.ip;
  $("requester-time").textContent = new Date(requester.created_at).toLocaleString();
  $("requester").hidden = false;
}

async function loadUsers(selectId) {
  users = await call(sandboxApi("users"));
  const select = $("user-select");
  select.replaceChildren(...users.map((u) => new Option(u.nickname + " (" + u.id + ")", u.id)));
  select.value = selectId || localStorage.getItem(STORED_USER) || "";
  if (!select.value && users.length) select.value = users[users.length - 1].id;
  updateOfficialAccount();
}

async function newUser() {
  try {
    const user = await call(sandboxApi("users"), {});
    localStorage.setItem(STORED_USER, user.id);
    await loadUsers(user.id);
  } catch (e) { show("创建用户失败 (create user failed): " + e.message, false); }
}

function currentUser() {
  const user = $("user-select").value;
  if (!user) show("请先选择或新建用户 (pick or create a user first)", false);
  else localStorage.setItem(STORED_USER, user);
  return user;
}

function setBusy(block, busy) {
  for (const button of $(block).querySelectorAll("button")) button.disabled = busy;
}

// Which provider's buttons to show: asked of Saoma through the sandbox (mini_program when the
// lookup is unavailable, since that is what the sandbox code encodes).
async function sceneInfo() {
  try {
    return await call(sandboxApi("scenes/" + encodeURIComponent(scene)));
  } catch (e) {
    if (e.code === "scene_not_found") throw e;
    return { provider: "mini_program" };
  }
}

async function open() {
  $("scene").textContent = scene || ticketUrl || "—";
  try {
    if (isWebsite) return await openWebsite();
    if (!scene && ticketUrl) return openOfficialAccount({});
    if (!scene) { $("question").textContent = "缺少 scene (missing scene)"; return; }
    const info = await sceneInfo();
    if (info.provider === "official_account") return openOfficialAccount(info);
    if (info.provider === "website") {
      $("question").textContent = "请扫描电脑上的网站二维码 (scan the website's QR page instead)";
      return;
    }
    // What the mini-program does when it opens: report the scan, learn who is asking.
    const { requester } = await call(saomaApi("mini-program/scan"), { scene });
    showRequester(requester);
    $("mini-program-actions").hidden = false;
    setBusy("mini-program-actions", false);
  } catch (e) {
    $("question").textContent = "无法登录 (cannot log in)";
    show(e.message, false);
  }
}

// A login that cannot go on from this phone: its buttons stay off (the computer has a new code).
const OVER = new Set(["scene_expired", "scene_consumed", "scene_not_found", "scene_conflict"]);

// The phone step's own wording: its code is getPhoneNumber's, not wx.login's.
const PHONE_MESSAGES = {
  invalid_code: "手机号授权已失效，请重新授权 (the phone code was used or expired: share again)",
  not_found: "服务器暂不支持绑定手机号 (this server cannot bind phone numbers)",
  unauthenticated: "登录状态已失效，请在电脑上刷新二维码 (session expired: reload the code on the computer)",
  token_not_accepted: "登录状态已失效，请在电脑上刷新二维码 (session expired: reload the code on the computer)",
};
const PHONE_OVER = new Set([...OVER, "not_found", "unauthenticated", "token_not_accepted"]);

async function decide(approve) {
  const user = currentUser();
  if (!user) return;
  setBusy("mini-program-actions", true);
  try {
    const { code } = await call(sandboxApi("wx-login"), { user });
    const result = await call(saomaApi("mini-program/login"), { code, scene, approve });
    session = result.tokens;
    if (result.scene_status === "need_phone") {
      $("mini-program-actions").hidden = true;
      $("phone-actions").hidden = false;
      setBusy("phone-actions", false);
      show("请授权手机号 (share your phone number)", true);
    } else {
      show(approve ? "已确认登录 ✓ (logged in)" : "已取消登录 (cancelled)", true);
    }
  } catch (e) {
    show(e.message, false);
    // Anything but a finished login: the same buttons try the same answer again.
    if (!OVER.has(e.code)) setBusy("mini-program-actions", false);
  }
}

// What the getPhoneNumber button does: WeChat hands the mini-program a single-use code, which
// goes to Saoma with the scene, so that binding the number also confirms the browser's login.
async function sharePhone() {
  const user = currentUser();
  if (!user || !session) return;
  setBusy("phone-actions", true);
  try {
    const { code } = await call(sandboxApi("phone-code"), { user });
    const result = await call(saomaApi("mini-program/phone"), { code, scene },
      { Authorization: "Bearer " + session.access_token });
    if (result.tokens) session = result.tokens;
    if (result.scene_status === "confirmed") show("已绑定手机号，登录成功 ✓ 请在电脑上查看 (phone bound, logged in: look at your computer)", true);
    else show("已绑定手机号 ✓ (phone bound)", true);
  } catch (e) {
    show(PHONE_MESSAGES[e.code] || e.message, false);
    // A new tap asks WeChat for a new code: the phone step again, never the scan.
    if (!PHONE_OVER.has(e.code)) setBusy("phone-actions", false);
  }
}

// Official account: WeChat shows a new user the account's profile with a Follow button, and
// takes a follower straight into the chat. Either way it pushes an event to Saoma's callback,
// whose passive reply ("登录成功") the user reads in the chat.
function openOfficialAccount(info) {
  if (info.requester) showRequester(info.requester);
  else $("question").textContent = "公众号二维码 · Official account QR";
  $("official-account-actions").hidden = false;
  updateOfficialAccount();
}

function updateOfficialAccount() {
  if ($("official-account-actions").hidden) return;
  const user = users.find((u) => u.id === $("user-select").value);
  const follows = !!(user && user.follows_official_account);
  $("oa-hint").textContent = follows
    ? "你已关注该公众号，扫码即可登录 · you follow this account: scanning logs you in"
    : "关注公众号后即可登录 · follow the account to log in";
  $("oa-scan").replaceChildren(
    follows ? "扫码登录 " : "关注公众号并登录 ",
    Object.assign(document.createElement("small"), { textContent: follows ? "Log in" : "Follow and log in" }),
  );
  $("oa-unfollow").hidden = !follows;
}

async function officialAccountScan() {
  const user = currentUser();
  if (!user) return;
  setBusy("official-account-actions", true);
  const body = scene ? { user, scene, follow: true } : { user, url: ticketUrl, follow: true };
  try {
    const report = await call(sandboxApi("official-account/scan"), body);
    const reply = report.reply && report.reply.content;
    if (report.delivered === false) {
      show("公众号服务器无响应 (the callback did not answer): " + report.error, false);
    } else if (report.reply_error || reply) {
      $("reply").textContent = report.reply_error || reply;
      $("chat").hidden = false;
      if (reply === LOGGED_IN) show("已登录 ✓ 请在电脑上查看 (logged in: look at your computer)", true);
      else show(report.reply_error || reply, false);
    } else {
      show("公众号没有回复 (no reply from the account)", false);
    }
    await loadUsers(user);
    // One scan per code, as with a real QR; the button stays off unless nothing was delivered.
    setBusy("official-account-actions", report.delivered !== false);
    $("oa-unfollow").disabled = false;
  } catch (e) { show(e.message, false); setBusy("official-account-actions", false); }
}

async function officialAccountUnfollow() {
  const user = currentUser();
  if (!user) return;
  try {
    await call(sandboxApi("official-account/unfollow"), { user });
    await loadUsers(user);
    show("已不再关注 (unfollowed)", true);
  } catch (e) { show(e.message, false); }
}

// Website: the phone scanned WeChat's QR page on the computer; it names the app and asks.
async function openWebsite() {
  if (!scene) { $("question").textContent = "缺少 state (missing state)"; return; }
  const page = await call(sandboxApi("website/session?state=" + encodeURIComponent(scene)));
  $("website-app").textContent = page.appid;
  $("question").textContent = "登录网站 · Log in to a website";
  try {
    const info = await call(sandboxApi("scenes/" + encodeURIComponent(scene)));
    if (info.requester) showRequester(info.requester);
  } catch (_) { /* the state need not be one of Saoma's scenes */ }
  $("website-actions").hidden = false;
  const over = { approved: "already_answered", refused: "already_answered", expired: "session_expired" }[page.status];
  if (over) show(MESSAGES[over], false);
  else setBusy("website-actions", false);
}

async function websiteAnswer(approve) {
  const user = approve ? currentUser() : $("user-select").value;
  if (approve && !user) return;
  setBusy("website-actions", true);
  try {
    const answer = await call(sandboxApi("website/approve"), { user: user || undefined, state: scene, approve });
    if (answer.approved) show("已允许登录 ✓ 请在电脑上查看 (approved: look at your computer)", true);
    else show("已拒绝登录 (refused: the computer shows it)", true);
  } catch (e) { show(e.message, false); setBusy("website-actions", false); }
}

/** WeChat's verdict on every pending image check, pushed to Saoma's callback. */
async function deliverMediaChecks(suggest) {
  try {
    const answer = await call(sandboxApi("media-checks/deliver"), { suggest });
    const n = answer.delivered.length;
    show(n ? "已推送 " + n + " 个审核结果 (pushed " + n + " verdicts: " + suggest + ")"
      : "没有待审图片 (no pending image)", true);
  } catch (e) { show(e.message, false); }
}

$("media-pass").addEventListener("click", () => deliverMediaChecks("pass"));
$("media-refuse").addEventListener("click", () => deliverMediaChecks("risky"));
$("new-user").addEventListener("click", newUser);
$("user-select").addEventListener("change", updateOfficialAccount);
$("confirm").addEventListener("click", () => decide(true));
$("cancel").addEventListener("click", () => decide(false));
$("share-phone").addEventListener("click", sharePhone);
$("oa-scan").addEventListener("click", officialAccountScan);
$("oa-unfollow").addEventListener("click", officialAccountUnfollow);
$("approve").addEventListener("click", () => websiteAnswer(true));
$("refuse").addEventListener("click", () => websiteAnswer(false));
// A first visit has no fake user yet: make one so that Confirm works at once. The scene is
// opened (and its buttons enabled) only once a user is selected, so a quick tap never goes
// out without one.
loadUsers()
  .then(() => ($("user-select").value ? null : newUser()))
  .catch((e) => show("无法读取用户 (cannot list users): " + e.message, false))
  .finally(open);
