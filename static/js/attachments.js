// Files waiting to be sent with the next message: picked with the attach button, dropped on
// the chat or pasted into the composer. Each shows as a chip (a thumbnail for images) that
// can be removed; files Confab would refuse are refused here first, by name and size (the
// server decides by the bytes). Also: how a stored attachment shows in a message.
import { el } from "./dom.js";

const ACCEPTED = /\.(pdf|txt|text|md|markdown|csv|json|png|jpe?g|gif|webp|mp3|wav)$/i;
export const ACCEPTED_TEXT = "PDF, plain text, Markdown, CSV, JSON, PNG, JPEG, GIF, WebP, MP3 or WAV";

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function kindOf(file) {
  if (/^image\//.test(file.type)) return "image";
  if (/^audio\//.test(file.type)) return "audio";
  return /\.pdf$/i.test(file.name) ? "pdf" : "text";
}

export class PendingFiles {
  constructor({ list, input, maxFiles, maxBytes, onChange, onError }) {
    this.list = list;
    this.input = input;
    this.maxFiles = maxFiles;
    this.maxBytes = maxBytes;
    this.onChange = onChange;
    this.onError = onError;
    this.files = [];
    input.addEventListener("change", () => {
      this.add(input.files);
      input.value = "";
    });
  }

  get count() { return this.files.length; }

  add(fileList) {
    const problems = [];
    for (const file of fileList) {
      if (this.files.length >= this.maxFiles) {
        problems.push(`A message can carry at most ${this.maxFiles} files.`);
        break;
      }
      if (!ACCEPTED.test(file.name)) problems.push(`“${file.name}” is not a file type Confab takes (${ACCEPTED_TEXT}).`);
      else if (file.size === 0) problems.push(`“${file.name}” is empty.`);
      else if (file.size > this.maxBytes) problems.push(`“${file.name}” is ${fileSize(file.size)}; files can be at most ${fileSize(this.maxBytes)}.`);
      else this.files.push(file);
    }
    this.onError(problems.join(" "));
    this.render();
  }

  clear() {
    this.files = [];
    this.render();
  }

  appendTo(body) {
    for (const file of this.files) body.append("files", file, file.name);
  }

  render() {
    for (const img of this.list.querySelectorAll("img")) URL.revokeObjectURL(img.src);
    this.list.replaceChildren();
    this.files.forEach((file, index) => {
      const chip = el("li", `pending-file kind-${kindOf(file)}`);
      if (kindOf(file) === "image") {
        const thumb = el("img", "thumb");
        thumb.src = URL.createObjectURL(file);
        thumb.alt = "";
        chip.append(thumb);
      } else {
        chip.append(el("span", "file-badge", file.name.split(".").pop().toUpperCase().slice(0, 4)));
      }
      const label = el("span", "file-label");
      label.append(el("span", "file-name", file.name), el("span", "file-size", fileSize(file.size)));
      const remove = el("button", "icon-button small remove-file", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", `Remove ${file.name}`);
      remove.addEventListener("click", () => {
        this.files.splice(index, 1);
        this.render();
      });
      chip.append(label, remove);
      this.list.append(chip);
    });
    this.list.hidden = this.files.length === 0;
    this.onChange(this.files.length);
  }
}

// Dropping files anywhere on the chat, and pasting them into the composer, adds them.
export function acceptDropsAndPastes(zone, textarea, pending) {
  let depth = 0;
  const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
  zone.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    depth += 1;
    zone.classList.add("dropping");
  });
  zone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove("dropping");
  });
  zone.addEventListener("dragover", (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  zone.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    zone.classList.remove("dropping");
    pending.add(event.dataTransfer.files);
  });
  textarea.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files || [])];
    if (files.length) {
      event.preventDefault();
      pending.add(files);
    }
  });
}

// A stored attachment in a message: a thumbnail that opens the picture, a player, or a chip.
// How a document's reading shows on its chip (the same as app/web/display.py).
const READ_STATE_LABELS = { reading: "reading…", partial: "partly read", unreadable: "could not be read" };

export function attachmentElement(a) {
  const item = el("li", `attachment kind-${a.kind}`);
  item.dataset.attachmentId = a.id;
  if (a.kind === "image") {
    const link = el("a", "thumb-link");
    link.href = a.url;
    link.target = "_blank";
    link.rel = "noopener";
    const img = el("img", "thumb");
    img.src = a.url;
    img.alt = a.filename;
    img.loading = "lazy";
    link.append(img);
    item.append(link);
  } else if (a.kind === "audio") {
    const audio = el("audio");
    audio.controls = true;
    audio.preload = "none";
    audio.src = a.url;
    item.append(audio, el("span", "file-name", a.filename));
  } else {
    const link = el("a", "file-chip");
    link.href = a.url;
    link.download = a.filename;
    link.append(el("span", "file-badge", a.filename.split(".").pop().toUpperCase().slice(0, 4)));
    const label = el("span", "file-label");
    const pages = a.page_count ? ` · ${a.page_count.toLocaleString("en-US")} page${a.page_count === 1 ? "" : "s"}` : "";
    label.append(el("span", "file-name", a.filename), el("span", "file-size", fileSize(a.byte_size) + pages));
    if (READ_STATE_LABELS[a.read_state]) label.append(el("span", `read-state ${a.read_state}`, READ_STATE_LABELS[a.read_state]));
    link.append(label);
    item.append(link);
    if (a.read_note) item.append(el("p", "read-note", a.read_note));
  }
  return item;
}

// A document read after its upload (the "attachment.read" event): its chip shows the outcome.
export function showReading(root, a) {
  const shown = root.querySelector(`[data-attachment-id="${a.id}"]`);
  if (shown) shown.replaceWith(attachmentElement(a));
}
