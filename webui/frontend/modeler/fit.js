// Open a diagram so that it can be read: whole, when that keeps its names readable; otherwise at a
// readable zoom from its start (or around `focus`, an element to show), the rest left to panning.
// `left`: screen pixels on the left that something covers (the modeler's palette).
const MARGIN = 30;
const READABLE = 0.8; // below this, task names are too small to read
const LARGEST = 1.2; // a small diagram is not blown up to fill the frame

export default function fitDiagram(canvas, focus, left = 0) {
  canvas.resized();
  const { inner, outer } = canvas.viewbox();
  const usable = outer.width - left;
  if (!inner.width || !inner.height || usable <= 0 || !outer.height) return;
  const heightFit = outer.height / (inner.height + 2 * MARGIN);
  const whole = Math.min(usable / (inner.width + 2 * MARGIN), heightFit);
  const zoom = whole >= READABLE ? Math.min(whole, LARGEST) : Math.max(whole, Math.min(READABLE, heightFit));
  const width = outer.width / zoom;
  const height = outer.height / zoom;
  const shown = usable / zoom; // diagram units visible beside what covers the left
  const covered = left / zoom;
  let x;
  if (shown >= inner.width + 2 * MARGIN) {
    x = inner.x + inner.width / 2 - shown / 2 - covered;
  } else {
    x = focus ? focus.x + (focus.width || 0) / 2 - shown / 2 - covered : inner.x - MARGIN - covered;
    x = Math.max(inner.x - MARGIN - covered, Math.min(x, inner.x + inner.width + MARGIN - width));
  }
  let y = inner.y + inner.height / 2 - height / 2;
  if (height < inner.height + 2 * MARGIN) {
    y = focus ? focus.y + (focus.height || 0) / 2 - height / 2 : inner.y - MARGIN;
    y = Math.max(inner.y - MARGIN, Math.min(y, inner.y + inner.height + MARGIN - height));
  }
  canvas.viewbox({ x, y, width, height });
}
