//! The dispute viewer's page: what `render` writes (html) and what a browser draws from it
//! (browser, in headless Chromium when it is installed).

mod browser;
mod fixture;
mod html;
