// auditor's local app: the few things a page does without a reload. No framework, no network
// beyond this app (the Content-Security-Policy allows nothing else).
"use strict";

// The page's words in its language: data- attributes of <body>, from the app's catalogs (no
// inline script: the policy allows this file only). {left} and {percent} are filled in here.
function say(name, values) {
  const text = document.body.dataset[name] || "";
  return text.replace(/\{(\w+)\}/g, (m, key) => (key in (values || {}) ? values[key] : m));
}

function listChosen(input, list) {
  list.textContent = "";
  for (const f of input.files) {
    const li = document.createElement("li");
    li.textContent = `${f.name} (${(f.size / 1048576).toFixed(1)} MB)`;
    list.appendChild(li);
  }
}

// Files dropped on the zone: recordings to the recordings input; a .json or .csv file to the
// session record's input when it is empty (a page left to itself would open the file instead).
function dropped(event, recordings, session) {
  event.preventDefault();
  const media = new DataTransfer();
  const record = new DataTransfer();
  for (const f of event.dataTransfer.files) {
    const isRecord = /\.(json|csv)$/i.test(f.name) && record.files.length === 0 &&
      session.files.length === 0;
    (isRecord ? record : media).items.add(f);
  }
  if (media.files.length) recordings.files = media.files;
  if (record.files.length) session.files = record.files;
  recordings.dispatchEvent(new Event("change"));
}

function addRow(table) {
  const body = table.tBodies[0];
  const last = body.rows[body.rows.length - 1];
  const copy = last.cloneNode(true);
  for (const input of copy.querySelectorAll("input")) input.value = "";
  body.appendChild(copy);
}

function fill(tbody, files) {
  tbody.textContent = "";
  for (const f of files) {
    const tr = document.createElement("tr");
    const pct = f.percent === null ? 0 : f.percent;
    const cells = [f.file, null, f.left === null ? "" : say("seconds", {left: f.left})];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      if (i === 1) {
        const bar = document.createElement("progress");
        bar.max = 100;
        bar.value = pct;
        td.append(bar, ` ${pct}%`);
      } else {
        td.textContent = text;
      }
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }
}

function poll(job) {
  fetch(`/job/${job.dataset.job}/status`, {credentials: "same-origin"})
    .then((r) => r.json())
    .then((s) => {
      if (s.state !== "queued" && s.state !== "running") {
        window.location.reload();
        return;
      }
      fill(document.querySelector("#progress tbody"), s.files);
      document.getElementById("overall").textContent =
        s.left === null ? say("working") : say("left", {left: s.left});
      setTimeout(() => poll(job), 1000);
    })
    .catch(() => setTimeout(() => poll(job), 2000));
}

// Recordings take a while to hand over: the form is sent with a progress bar. The answer (the
// job's page, or the form again with a message) then replaces this page, as a plain submit's.
function sendWithProgress(form, event) {
  if (event.submitter && event.submitter.hasAttribute("formaction")) return;  // the download
  event.preventDefault();
  let line = form.querySelector(".uploading");
  if (!line) {
    line = document.createElement("p");
    line.className = "uploading";
    line.append(document.createElement("progress"), document.createElement("span"));
    form.appendChild(line);
  }
  const [bar, text] = line.children;
  bar.max = 100;
  bar.value = 0;
  text.textContent = ` ${say("sending")}`;
  for (const b of form.querySelectorAll("button[type=submit]")) b.disabled = true;
  const xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  xhr.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable) return;
    bar.value = Math.round((100 * e.loaded) / e.total);
    text.textContent = ` ${say("sent", {percent: bar.value})}`;
  });
  xhr.addEventListener("load", () => {
    if (/^\/job\/[\w-]{22}$/.test(new URL(xhr.responseURL).pathname) && xhr.status === 200) {
      window.location.assign(xhr.responseURL);
      return;
    }
    document.open();
    document.write(xhr.responseText);
    document.close();
  });
  xhr.addEventListener("error", () => {
    text.textContent = ` ${say("refused")}`;
    for (const b of form.querySelectorAll("button[type=submit]")) b.disabled = false;
  });
  xhr.send(new FormData(form));
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[enctype='multipart/form-data']")) {
    form.addEventListener("submit", (e) => sendWithProgress(form, e));
  }
  const rec = document.getElementById("recordings");
  const zone = document.getElementById("drop");
  if (rec) rec.addEventListener("change", () => listChosen(rec, document.getElementById("chosen")));
  if (zone) {
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      zone.classList.remove("over");
      dropped(e, rec, document.getElementById("session"));
    });
  }
  for (const b of document.querySelectorAll("button.add")) {
    b.addEventListener("click", () => addRow(document.getElementById(b.dataset.table)));
  }
  const job = document.getElementById("job");
  if (job && (job.dataset.state === "queued" || job.dataset.state === "running")) {
    setTimeout(() => poll(job), 1000);
  }
});
