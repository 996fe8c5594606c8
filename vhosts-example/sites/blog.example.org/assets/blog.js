// Marks external links so readers know they leave the blog.
for (const link of document.querySelectorAll("a[href^='http']")) {
  link.setAttribute("rel", "noopener");
  link.title = "Leaves the blog";
}
