// The console's attention-getters for a new offer: a short chime (Web Audio, nothing to download) and a desktop
// notification while the console is not in view (after the agent allowed notifications).
(function () {
  "use strict";

  let audio = null;

  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const now = audio.currentTime;
      [880, 1175].forEach((hz, i) => {
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.frequency.value = hz;
        gain.gain.setValueAtTime(0.0001, now + i * 0.18);
        gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.18 + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.16);
        tone.connect(gain).connect(audio.destination);
        tone.start(now + i * 0.18);
        tone.stop(now + i * 0.18 + 0.17);
      });
    } catch (e) { /* no audio here: the visual cues remain */ }
  }

  function permitted() {
    return "Notification" in window && Notification.permission === "granted";
  }

  async function enable() {
    if (audio === null) chime();  // a click lets the page play sound from now on
    if (!("Notification" in window)) return false;
    if (Notification.permission === "default") await Notification.requestPermission();
    return permitted();
  }

  function notify(title, body, onClick) {
    chime();
    if (!permitted() || document.visibilityState === "visible") return;
    const shown = new Notification(title, { body, tag: "hub-offer" });
    shown.onclick = () => { window.focus(); shown.close(); if (onClick) onClick(); };
  }

  window.HubAlerting = { enable, notify, permitted };
})();
