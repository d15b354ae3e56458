// /docs: Swagger UI (5.x, from the fastapi-offline wheel) on the service's own OpenAPI 3.1 document.
// A file, not an inline script, so the pages' CSP (script-src 'self') holds on /docs too.
window.ui = SwaggerUIBundle({
  url: document.body.dataset.openapi || "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
