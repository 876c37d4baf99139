// Swagger UI on /api/v1/docs/ (vendored under static/vendor/swagger-ui; no inline script,
// so the site's Content-Security-Policy holds). Requests carry the session's CSRF token.
(function () {
  var box = document.getElementById("swagger-ui");
  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  window.SwaggerUIBundle({
    url: box.getAttribute("data-schema-url"),
    domNode: box,
    deepLinking: true,
    requestInterceptor: function (request) {
      var token = csrfToken();
      if (token && request.method && request.method !== "GET") {
        request.headers["X-CSRFToken"] = token;
      }
      return request;
    }
  });
})();
