// Saoma's mini-program: opened from the code a browser shows, it confirms or cancels that
// browser's login. The server it talks to is set in utils/api.js.
App({});
