// Starts Swagger UI (vendored, /docs/assets/swagger-ui-bundle.js) on this service's own
// OpenAPI document. A file of its own because the page's policy allows no inline script.
// The document's `servers` is `/`, so "Try it out" calls this same service; "Authorize"
// takes a key (`fbk_sec_…` or `fbk_pub_…`) and sends it as `Authorization: Bearer`.
'use strict';
window.ui = window.SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  // The base layout: Swagger UI's standalone one adds a top bar that loads other documents.
  layout: 'BaseLayout',
  presets: [window.SwaggerUIBundle.presets.apis],
  // Links to one operation (#/operations/healthz), and its id shown beside its path.
  deepLinking: true,
  displayOperationId: true,
  // Never send the document to the public validator (the default would, and show a badge).
  validatorUrl: null,
  // A key given in "Authorize" stays for this tab only, never in storage.
  persistAuthorization: false,
});
