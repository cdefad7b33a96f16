// Starts Swagger UI for mgz. A file of its own, not an inline script: the page's
// Content-Security-Policy allows scripts from this origin only ('self').
//
// "Try it out" works two ways:
// - Bearer token: "Authorize" -> bearer -> paste a token from `mgz tokens create`.
//   It stays in this page's memory only (no persistAuthorization, no localStorage).
// - Browser session: sign in with POST /api/v1/auth/login here (or be signed in
//   already). The session cookie travels by itself; the X-CSRF-Token header that
//   every write with a cookie needs is taken from the login (or /auth/me) response
//   and added to every write below, unless one is set by hand.
(function () {
  "use strict";

  var CSRF_HEADER = "X-CSRF-Token";
  var SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];
  var body = document.body;
  var openapiUrl = body.getAttribute("data-openapi-url");
  var meUrl = body.getAttribute("data-me-url");
  var csrfToken = null;

  function hasHeader(headers, name) {
    var wanted = name.toLowerCase();
    return Object.keys(headers || {}).some(function (key) {
      return key.toLowerCase() === wanted && headers[key];
    });
  }

  function rememberToken(payload) {
    if (payload && typeof payload.csrf_token === "string" && payload.csrf_token) {
      csrfToken = payload.csrf_token;
    }
  }

  window.ui = window.SwaggerUIBundle({
    url: openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    showExtensions: true,
    showCommonExtensions: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    validatorUrl: null,
    requestInterceptor: function (request) {
      var method = (request.method || "GET").toUpperCase();
      request.headers = request.headers || {};
      if (csrfToken && SAFE_METHODS.indexOf(method) < 0 && !hasHeader(request.headers, CSRF_HEADER)) {
        request.headers[CSRF_HEADER] = csrfToken;
      }
      return request;
    },
    responseInterceptor: function (response) {
      rememberToken(response.body);
      if (/\/auth\/logout$/.test(response.url || "") && response.ok) {
        csrfToken = null;
      }
      return response;
    },
  });

  // Signed in already (a session cookie from an earlier login): fetch its CSRF token.
  if (meUrl && window.fetch) {
    window
      .fetch(meUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(rememberToken)
      .catch(function () {});
  }
})();
