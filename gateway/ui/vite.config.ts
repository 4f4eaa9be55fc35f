import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev`: hot reload at :5173, /graphql and the downloads proxied to the gateway (same origin, no CORS).
const gateway = process.env.GATEWAY_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/graphql": { target: gateway },
      "/ui-config.json": { target: gateway },
      "/exports": { target: gateway },
      "/billing": { target: gateway },
    },
  },
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false, chunkSizeWarningLimit: 900 },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
  },
} as never);
