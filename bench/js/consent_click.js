// The buyer's page: when the consent button is clicked (B.consentAt, wall clock).
window.addEventListener("click", (event) => {
  const B = window.__bench;
  const target = event.target && event.target.closest && event.target.closest(
    '[data-testid="consent-accept"]');
  if (target && B.consentAt === undefined) B.consentAt = Date.now();
}, true);
