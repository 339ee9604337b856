import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import App from "./App";
import { prefetch } from "./api/client";
import "./index.css";

// The dashboard's data is on its way while React renders the page.
if (window.location.pathname === "/") prefetch(["/servers", "/preferences/section-order"]);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <BrowserRouter>
      <App />
    </BrowserRouter>
  </StrictMode>,
);
