// The dashboard shell: Radix theme, tRPC/React Query provider, header with navigation.
import "@radix-ui/themes/styles.css";
import "./globals.css";
import { Box, Container, Flex, Heading, Text, Theme } from "@radix-ui/themes";
import type { Metadata } from "next";
import type { ReactNode } from "react";
import { AppNav } from "@/components/app-nav";
import { OperatorSignIn } from "@/components/operator-sign-in";
import { TRPCReactProvider } from "@/trpc/client";

export const metadata: Metadata = {
  title: { default: "Summary Pipeline", template: "%s · Summary Pipeline" },
  description: "Operations dashboard for the incremental account summary pipeline",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <body>
        <Theme accentColor="indigo" grayColor="slate" radius="medium" scaling="100%">
          <TRPCReactProvider>
            <Box asChild style={{ borderBottom: "1px solid var(--gray-a5)" }}>
              <header>
                <Container size="4" px="4">
                  <Flex align="center" gap="5" pt="3">
                    <Flex direction="column" pb="2">
                      <Heading as="h1" size="4">
                        Summary Pipeline
                      </Heading>
                      <Text size="1" color="gray">
                        account summary tables
                      </Text>
                    </Flex>
                    <AppNav />
                    <OperatorSignIn />
                  </Flex>
                </Container>
              </header>
            </Box>
            <Container size="4" px="4" py="5" asChild>
              <main>{children}</main>
            </Container>
          </TRPCReactProvider>
        </Theme>
      </body>
    </html>
  );
}
