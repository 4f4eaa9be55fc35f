import "@mantine/core/styles.css";
import "@mantine/notifications/styles.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { MantineProvider, createTheme } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { RouterProvider } from "@tanstack/react-router";
import { Provider as UrqlProvider } from "urql";
import { client } from "./client";
import { router } from "./router";

const theme = createTheme({ primaryColor: "teal", defaultRadius: "md" });

// The first route's code (and its loader's requests) before the first render: a tree rendered while
// its route is still pending suspends, and React holds back a suspended tree's reveal for up to
// 300 ms after its fallback showed (a deep link or a reload would wait that long for nothing).
router.load().catch(console.error).finally(() => {
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <MantineProvider theme={theme} defaultColorScheme="auto">
        <Notifications />
        <UrqlProvider value={client}>
          <RouterProvider router={router} />
        </UrqlProvider>
      </MantineProvider>
    </StrictMode>,
  );
});
