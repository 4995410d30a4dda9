// The modeler pages' one status line (#modeler-status): a message and its kind (info, success, error).
export function showStatus(text, kind = 'info') {
  const box = document.getElementById('modeler-status');
  box.textContent = text;
  box.className = `modeler-status ${kind}`;
}
