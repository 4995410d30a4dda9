// Open a diagram so that it can be read: whole, when that keeps its names readable; otherwise at a
// readable zoom from its start (or around `focus`, an element to show), the rest left to panning.
const MARGIN = 30;
const READABLE = 0.6; // below this, task names are too small to read
const LARGEST = 1.2; // a small diagram is not blown up to fill the frame

// `left`: screen pixels kept clear on the left (the modeler's palette).
export default function fitDiagram(canvas, focus, left = 0) {
  canvas.resized();
  const { inner, outer } = canvas.viewbox();
  if (!inner.width || !inner.height || !outer.width || !outer.height) return;
  const widthFit = outer.width / (inner.width + 2 * MARGIN);
  const heightFit = outer.height / (inner.height + 2 * MARGIN);
  const whole = Math.min(widthFit, heightFit);
  const zoom = whole >= READABLE ? Math.min(whole, LARGEST) : Math.max(whole, Math.min(READABLE, heightFit));
  const width = outer.width / zoom;
  const height = outer.height / zoom;
  let x = inner.x + inner.width / 2 - width / 2;
  let y = inner.y + inner.height / 2 - height / 2;
  if (width < inner.width + 2 * MARGIN) {
    x = focus ? focus.x + (focus.width || 0) / 2 - width / 2 : inner.x - MARGIN - left / zoom;
    x = Math.max(inner.x - MARGIN - left / zoom, Math.min(x, inner.x + inner.width + MARGIN - width));
  }
  if (height < inner.height + 2 * MARGIN) {
    y = focus ? focus.y + (focus.height || 0) / 2 - height / 2 : inner.y - MARGIN;
    y = Math.max(inner.y - MARGIN, Math.min(y, inner.y + inner.height + MARGIN - height));
  }
  canvas.viewbox({ x, y, width, height });
}
