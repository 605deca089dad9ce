// The printable reports' 打印 button (the policy allows no inline handler).
document.querySelector("[data-print]").addEventListener("click", () => window.print());
