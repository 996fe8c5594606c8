// Fingerprinted bundle: the hash in the file name changes whenever the content does, so the server
// marks it immutable and browsers cache it for a year.
document.addEventListener("DOMContentLoaded", () => {
  const clock = document.getElementById("clock");
  if (clock) {
    clock.textContent = "This page was loaded at " + new Date().toLocaleTimeString() + ".";
  }
});
