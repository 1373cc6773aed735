// A "copy" button beside a code or a command: shown only where the browser can copy.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    if (!source) continue;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = "✓ " + label;
      } catch (error) {
        button.hidden = true; // the text stays on the page, selectable by hand
      }
    });
  }
});
